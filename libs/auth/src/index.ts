export { AuthModule, ID_TOKEN_AUDIENCE } from './auth.module.js';
export { CsrfGuard } from './http/csrf.js';
export { JwtAuthGuard } from './http/jwt-auth.guard.js';
export { MfaEnforcementGuard } from './http/mfa-enforcement.guard.js';
export { MfaFactorsService } from './mfa/mfa-factors.service.js';
export { PasswordHasher } from './passwords/password-hasher.js';
export { PasswordPolicy } from './passwords/password-policy.js';
