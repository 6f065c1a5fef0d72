import { Clock } from '@heddle/common';

/** A clock tests move by hand, so expiry and timeouts are tested without sleeping. */
export class MutableClock extends Clock {
  private offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }
}
