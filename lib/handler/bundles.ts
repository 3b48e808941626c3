/**
 * The library's bundled handlers: the folder under `assets/` that `npm run bundle`
 * (`scripts/bundle.mjs`) writes each one to, and the entry point it bundles. Both the bundler and
 * the functions read this table. No imports here: the bundler loads this file on its own.
 */
export const HANDLER_BUNDLES = {
  'login-profile-handler': 'lambda/login-profile/index.ts',
  'rotation-handler': 'lambda/rotation/index.ts',
  'account-password-policy-handler': 'lambda/password-policy/index.ts',
} as const;

/** A bundled handler, by its folder under `assets/`. */
export type HandlerAsset = keyof typeof HANDLER_BUNDLES;
