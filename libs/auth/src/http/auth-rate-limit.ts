import { SetMetadata } from '@nestjs/common';

export const AUTH_RATE_LIMITED = 'codexflow:auth-rate-limited';

/**
 * Marks the credential routes (login, register, forgot, refresh) that get
 * tighter per-IP and per-account limits.
 * TODO: no limiter reads this mark yet, so only the account lockout slows
 * password guessing; the throttler must apply its auth limits to these routes.
 */
export const AuthRateLimited = () => SetMetadata(AUTH_RATE_LIMITED, true);
