import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'heddle:public';

/** Opts a route out of the default-deny bearer guard (health, metrics). */
export const Public = () => SetMetadata(IS_PUBLIC, true);
