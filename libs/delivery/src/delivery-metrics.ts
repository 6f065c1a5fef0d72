import { Injectable } from '@nestjs/common';
import { Counter, Histogram, register } from 'prom-client';

function histogram(name: string, help: string, labelNames: string[], buckets: number[]): Histogram<string> {
  return (register.getSingleMetric(name) as Histogram<string>) ?? new Histogram({ name, help, labelNames, buckets });
}

function counter(name: string, help: string, labelNames: string[]): Counter<string> {
  return (register.getSingleMetric(name) as Counter<string>) ?? new Counter({ name, help, labelNames });
}

/** Fan-out metrics on /metrics: deliveries by outcome, attempt latency, relay lag. */
@Injectable()
export class DeliveryMetrics {
  private readonly outcomes = counter('heddle_deliveries_total', 'Deliveries that ended, by target kind and outcome', [
    'kind',
    'outcome',
  ]);
  private readonly latency = histogram(
    'heddle_delivery_attempt_seconds',
    'Latency of one delivery attempt (first attempts and retries)',
    ['kind', 'first'],
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  );
  private readonly lag = histogram(
    'heddle_relay_lag_seconds',
    'From an event committing to its delivery jobs being enqueued',
    [],
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  );

  delivered(kind: 'webhook' | 'sink', outcome: 'delivered' | 'failed'): void {
    this.outcomes.inc({ kind, outcome });
  }

  attempt(kind: 'webhook' | 'sink', latencyMs: number, attempt: number): void {
    this.latency.observe({ kind, first: attempt === 1 ? 'true' : 'false' }, latencyMs / 1000);
  }

  relayed(lagMs: number): void {
    this.lag.observe(Math.max(0, lagMs) / 1000);
  }
}
