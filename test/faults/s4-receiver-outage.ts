// Row 4: the webhook receiver is down (connection refused) while events are written, long enough
// for first attempts and the 5 s retries to fail; then it comes back. Deliveries due soon retry on
// their own; those pushed to the 5-minute step are brought forward with the documented resend
// (`POST /api/webhooks/deliveries/{id}/resend`) instead of waiting. → 100 % delivered, one id per event.
import { WebhookReceiver } from '@heddle/testing';
import { auditDeliveries, createWebhook, eventSeq, waitDelivered } from './deliveries';
import { pool, sleep } from './http';
import { checkEventSeqs } from './invariants';
import { Findings, Scenario } from './scenario';
import { waitUntil } from './tasks';

/** Retries due within this long are left to the schedule; later ones are resent. */
const SOON_MS = 8_000;

export const receiverOutage: Scenario = {
  id: 4,
  title: 'webhook receiver down, then up',
  async run({ cluster, sizes, log }) {
    const f = new Findings();
    const api = cluster.client();
    const n = sizes.outageEvents;
    const receiver = await WebhookReceiver.closed();
    try {
      const team = await cluster.createTeam('outage');
      const webhook = await createWebhook(cluster, team, receiver, '/outage');
      const fromSeq = await eventSeq(cluster, team);
      const downSince = Date.now();
      // n TEAM_UPDATED events, spread over the outage: the early ones' 5 s retry fails too (they wait
      // for the 5-minute step), the late ones' retry comes after the receiver is back.
      const spacing = (sizes.outageDownMs - 1_000) / n;
      const answers = await pool(
        Array.from({ length: n }, (_, i) => i),
        1,
        async (i) => {
          const wait = downSince + i * spacing - Date.now();
          if (wait > 0) await sleep(wait);
          return api.request('PATCH', '/api/team', {
            token: team.token,
            body: { settings: { staleBusyObservations: 20 + i } },
          });
        },
      );
      const refused = answers.filter((r) => r.status !== 200);
      f.problemList(
        'PATCH /api/team not 200',
        refused.map((r) => `${r.status} ${r.text.slice(0, 200)}`),
      );
      const attempted = async () =>
        (
          await cluster.sql<{ n: number }>(
            `SELECT count(*)::int AS n FROM deliveries WHERE "webhookId" = $1 AND attempts >= 1`,
            [webhook.id],
          )
        )[0]!.n;
      const failedFirst = await waitUntil(attempted, n, 60_000);
      f.count('events', n);
      f.count('failedFirst', failedFirst);
      const wait = sizes.outageDownMs - (Date.now() - downSince);
      if (wait > 0) await sleep(wait);
      await receiver.listen();
      f.count('downS', ((Date.now() - downSince) / 1000).toFixed(1));
      log(`receiver up again on ${receiver.port} after ${Date.now() - downSince} ms`);

      // Retries due soon happen on their own schedule; wait for those.
      // An attempt is in flight while a delivery counts more claimed attempts than recorded ones.
      const inFlight = `"attempts" > (SELECT count(*) FROM delivery_attempts a WHERE a."deliveryId" = d.id)`;
      const dueSoon = async () =>
        (
          await cluster.sql<{ n: number }>(
            `SELECT count(*)::int AS n FROM deliveries d WHERE "webhookId" = $1 AND status = 'pending'
                AND ("nextAttemptAt" < now() + make_interval(secs => $2) OR ${inFlight})`,
            [webhook.id, SOON_MS / 1000],
          )
        )[0]!.n;
      const deadline = Date.now() + SOON_MS + 10_000;
      while ((await dueSoon()) > 0 && Date.now() < deadline) await sleep(250);
      const retried = receiver.accepted('/outage').length;
      f.count('retriedOnSchedule', retried);

      // The rest wait for the 5-minute step: resend them now, as an operator would (only those no
      // attempt is running for: a resend of a delivery that is just being delivered sends it again).
      const pending = await cluster.sql<{ id: string }>(
        `SELECT id FROM deliveries d WHERE "webhookId" = $1 AND status = 'pending' AND NOT (${inFlight})`,
        [webhook.id],
      );
      const resent = await pool(pending, 8, (d) =>
        api.request('POST', `/api/webhooks/deliveries/${d.id}/resend`, { token: team.token }),
      );
      f.count('resent', resent.length);
      f.problemList(
        'resends not 202',
        resent.filter((r) => r.status !== 202).map((r) => `${r.status} ${r.text.slice(0, 200)}`),
      );
      const done = await waitDelivered(cluster, team, webhook.id, fromSeq, 60_000);
      await sleep(500);
      const audit = await auditDeliveries(cluster, team, webhook, receiver, '/outage', fromSeq, f);
      f.count('delivered', `${audit.delivered}/${audit.events}`);
      f.count('received', audit.received);
      f.count('attempts', audit.attempts);
      f.count('redelivered', audit.redelivered);
      f.count('afterUpS', (done.ms / 1000).toFixed(1));
      await checkEventSeqs(cluster, [team.id], f);
    } finally {
      await receiver.stop();
    }
    return f.result(api.stats.serverErrorCount, api.stats.serverErrors);
  },
};
