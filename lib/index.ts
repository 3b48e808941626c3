export * from './console-user';
export * from './login-profile';
export * from './provider';
export { SIGN_IN_DOMAINS, signInUrl } from './sign-in-url';
export { LOGIN_PROFILE_RESOURCE_TYPE } from './handler-contract';
export type { LoginProfileResourceProperties, LoginProfileResourceAttributes } from './handler-contract';
