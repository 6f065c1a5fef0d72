// Webhook deliveries after a fault: every event relayed, delivered and received, each under one
// webhook-id (its own), every signature valid.
import { Webhook } from 'standardwebhooks';
import { WebhookReceiver } from '@heddle/testing';
import type { Cluster, Team } from './cluster';
import { sleep } from './http';
import type { Findings } from './scenario';

/** A webhook endpoint of the team for every event type, at the receiver's `path`. */
export async function createWebhook(cluster: Cluster, team: Team, receiver: WebhookReceiver, path: string) {
  const res = await cluster.http.request('POST', '/api/webhooks', {
    token: team.token,
    body: { url: receiver.url(path), description: 'fault suite' },
  });
  if (res.status !== 201) throw new Error(`POST /api/webhooks answered ${res.status}: ${res.text}`);
  return { id: res.body.id as string, secret: res.body.secret as string };
}

/** The team's event counter now: events after it must reach an endpoint created before. */
export async function eventSeq(cluster: Cluster, team: Team): Promise<number> {
  const [row] = await cluster.sql<{ seq: string }>(`SELECT "eventSeq"::text AS seq FROM teams WHERE id = $1`, [
    team.id,
  ]);
  return Number(row!.seq);
}

/** Deliveries of the endpoint by status. */
export async function deliveryCounts(cluster: Cluster, webhookId: string): Promise<Record<string, number>> {
  const rows = await cluster.sql<{ status: string; n: number }>(
    `SELECT status, count(*)::int AS n FROM deliveries WHERE "webhookId" = $1 GROUP BY status`,
    [webhookId],
  );
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

/** Waits until the endpoint has a delivery for every event after `fromSeq` and none is pending. */
export async function waitDelivered(
  cluster: Cluster,
  team: Team,
  webhookId: string,
  fromSeq: number,
  timeoutMs: number,
) {
  const started = Date.now();
  for (;;) {
    const [row] = await cluster.sql<{ events: number; rows: number; open: number }>(
      `SELECT (SELECT count(*) FROM events WHERE "teamId" = $1 AND seq > $3)::int AS events,
              (SELECT count(*) FROM deliveries WHERE "webhookId" = $2 AND "eventSeq" > $3)::int AS rows,
              (SELECT count(*) FROM deliveries WHERE "webhookId" = $2 AND status = 'pending')::int AS open`,
      [team.id, webhookId, fromSeq],
    );
    if ((row!.rows >= row!.events && row!.open === 0) || Date.now() - started > timeoutMs) {
      return { ...row!, ms: Date.now() - started };
    }
    await sleep(250);
  }
}

export interface DeliveryAudit {
  events: number;
  delivered: number;
  received: number;
  /** Accepted requests beyond one per event (at-least-once redelivery under the same id). */
  redelivered: number;
  attempts: number;
}

/**
 * Every event of the team after `fromSeq` has a delivery to the endpoint, delivered, and reached the
 * receiver under its own id as webhook-id with a valid signature. Missing ones are lost; an event
 * seen under a second id (or an id that is not its own) is dup.
 */
export async function auditDeliveries(
  cluster: Cluster,
  team: Team,
  webhook: { id: string; secret: string },
  receiver: WebhookReceiver,
  path: string,
  fromSeq: number,
  f: Findings,
): Promise<DeliveryAudit> {
  const events = await cluster.sql<{ id: string; seq: string; type: string }>(
    `SELECT id, seq::text, type FROM events WHERE "teamId" = $1 AND seq > $2 ORDER BY seq`,
    [team.id, fromSeq],
  );
  const deliveries = await cluster.sql<{ eventId: string; status: string; attempts: number; lastError: string | null }>(
    `SELECT "eventId", status, attempts, "lastError" FROM deliveries WHERE "webhookId" = $1`,
    [webhook.id],
  );
  const byEvent = new Map(deliveries.map((d) => [d.eventId, d]));
  const verifier = new Webhook(webhook.secret);
  const idsOfEvent = new Map<string, Set<string>>();
  const badSignatures: string[] = [];
  const accepted = receiver.accepted(path);
  for (const r of accepted) {
    const headerId = String(r.headers['webhook-id']);
    let payloadId = '?';
    try {
      payloadId = (JSON.parse(r.body) as { id: string }).id;
      verifier.verify(r.body, {
        'webhook-id': headerId,
        'webhook-timestamp': String(r.headers['webhook-timestamp']),
        'webhook-signature': String(r.headers['webhook-signature']),
      });
    } catch (err) {
      badSignatures.push(`webhook-id ${headerId}: ${(err as Error).message}`);
    }
    const ids = idsOfEvent.get(payloadId) ?? new Set<string>();
    ids.add(headerId);
    idsOfEvent.set(payloadId, ids);
  }
  const notRelayed: string[] = [];
  const notDelivered: string[] = [];
  const notReceived: string[] = [];
  for (const e of events) {
    const d = byEvent.get(e.id);
    if (!d) notRelayed.push(`seq ${e.seq} ${e.type} ${e.id}`);
    else if (d.status !== 'delivered') {
      notDelivered.push(`seq ${e.seq} ${e.type}: ${d.status} after ${d.attempts} attempts (${d.lastError ?? ''})`);
    }
    if (!idsOfEvent.has(e.id)) notReceived.push(`seq ${e.seq} ${e.type} ${e.id}`);
  }
  const twoIds: string[] = [];
  for (const [eventId, ids] of idsOfEvent) {
    if (ids.size > 1 || !ids.has(eventId)) twoIds.push(`event ${eventId} under webhook-id(s) ${[...ids].join(', ')}`);
  }
  f.lost += Math.max(notRelayed.length + notDelivered.length, notReceived.length);
  f.dup += twoIds.length;
  f.problemList('events with no delivery to the endpoint', notRelayed);
  f.problemList('deliveries not delivered', notDelivered);
  f.problemList('events the receiver never accepted', notReceived);
  f.problemList('events under another or a second webhook-id', twoIds);
  f.problemList('requests whose signature does not verify', badSignatures);
  return {
    events: events.length,
    delivered: events.filter((e) => byEvent.get(e.id)?.status === 'delivered').length,
    received: events.filter((e) => idsOfEvent.has(e.id)).length,
    redelivered: accepted.length - idsOfEvent.size,
    attempts: deliveries.reduce((n, d) => n + d.attempts, 0),
  };
}
