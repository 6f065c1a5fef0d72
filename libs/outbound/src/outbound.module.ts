import { Global, Module } from '@nestjs/common';
import { AppConfig } from '@heddle/config';
import { OutboundPolicy } from './outbound-policy';

/** The outbound URL policy from HEDDLE_OUTBOUND_ALLOW, for every lib that calls out. */
@Global()
@Module({
  providers: [
    {
      provide: OutboundPolicy,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => new OutboundPolicy(config.outboundAllow),
    },
  ],
  exports: [OutboundPolicy],
})
export class OutboundModule {}
