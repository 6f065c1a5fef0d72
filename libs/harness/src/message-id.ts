import { randomBytes } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const MASK = 0xffffffffffffn;
let lastMs = 0;
let counter = 0;

/**
 * A user-message id in OpenCode's own ascending scheme (`msg_` + 12 hex digits of ms × 4096 +
 * counter + 14 random base62 characters). OpenCode orders a session's messages by id and its run
 * loop compares the newest user and assistant ids, so an id that sorted after every later
 * assistant message (say `msg_heddle_…`) would make a finished turn look unanswered. Chosen by
 * Heddle and stored before the prompt is sent: re-sending it cannot start a second turn.
 */
export function newMessageId(now: number = Date.now()): string {
  if (now !== lastMs) {
    lastMs = now;
    counter = 0;
  }
  counter++;
  const n = (BigInt(now) * 0x1000n + BigInt(counter)) & MASK;
  const random = randomBytes(14);
  let tail = '';
  for (const byte of random) tail += BASE62[byte % 62];
  return `msg_${n.toString(16).padStart(12, '0')}${tail}`;
}
