export { OutboundModule } from './outbound.module';
export { OutboundPolicy, OutboundRefusedError } from './outbound-policy';
export type { CheckedUrl, OutboundAllowList } from './outbound-policy';
export { createOutboundFetch } from './outbound-http';
export type { OutboundFetchOptions } from './outbound-http';
export { classifyAddress } from './address-rules';
export type { AddressClass } from './address-rules';
