import { Injectable } from '@nestjs/common';
import { Host } from '@heddle/db';
import { HostClients } from '@heddle/hosts';
import { OpencodeClient } from '@heddle/opencode-client';

/**
 * A reply is forwarded while its row is locked (one answer at a time), inside a transaction whose
 * own timeout is 15 s: the host gets at most this long.
 */
export const HOST_CALL_TIMEOUT_MS = 10_000;

/** Host clients for listing and answering requests: the shared ones, each call capped at HOST_CALL_TIMEOUT_MS. */
@Injectable()
export class PermissionHostClients {
  constructor(private readonly clients: HostClients) {}

  forHost(host: Host, directory: string): OpencodeClient {
    return this.clients.forHost(host, directory, HOST_CALL_TIMEOUT_MS);
  }
}
