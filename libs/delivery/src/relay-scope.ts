import { Injectable } from '@nestjs/common';

/**
 * Which teams this process relays and sweeps: all of them (null) in every real deployment. Tests
 * that run several apps against one database narrow it to the teams each app created, so one test
 * file's relay never picks up another's events (they enqueue into different queue prefixes).
 */
@Injectable()
export class RelayScope {
  teamIds(): readonly string[] | null {
    return null;
  }
}
