export * from './console-user';
export * from './login-profile';
export * from './provider';
export { SIGN_IN_DOMAINS, signInUrl } from './sign-in-url';
export {
  LOGIN_PROFILE_RESOURCE_TYPE,
  LoginProfileResourceProperties,
  LoginProfileResourceAttributes,
} from './handler-contract';
