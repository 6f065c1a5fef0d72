import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'heddle:public';

/** Opts a route out of the default-deny bearer guard (health, metrics). */
export const Public = () => SetMetadata(IS_PUBLIC, true);

export const SKIP_RATE_LIMIT = 'heddle:skip-rate-limit';

/** Opts a route out of request rate limits: for health probes, which must answer however often asked. */
export const SkipRateLimit = () => SetMetadata(SKIP_RATE_LIMIT, true);
