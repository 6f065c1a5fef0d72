import { randomBytes } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const MASK = 0xffffffffffffn;
let lastMs = 0;
let counter = 0;

export type OpencodeIdPrefix = 'ses' | 'msg' | 'prt' | 'per' | 'que' | 'evt';

function randomBase62(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += BASE62[bytes[i]! % 62];
  return out;
}

/**
 * OpenCode's identifier scheme: `<prefix>_` + 12 hex digits of (ms × 4096 + counter), masked to 48
 * bits, + 14 random base62 characters. Messages, parts, permissions and events ascend (sorting by id
 * is chronological); sessions descend (bitwise NOT), so the newest session sorts first. Verified
 * against ids minted by OpenCode 1.18.34 (`msg_208653bfa001…`, `ses_df79ac436ffe…`).
 *
 * A client-chosen message id must follow it: OpenCode orders a session's messages by id and its run
 * loop compares the newest user and assistant ids, so an id that sorted after every later assistant
 * message (say `msg_heddle_…`) would make a finished turn look unanswered.
 */
export function newOpencodeId(prefix: OpencodeIdPrefix, descending = false, now: number = Date.now()): string {
  if (now !== lastMs) {
    lastMs = now;
    counter = 0;
  }
  counter++;
  let n = BigInt(now) * 0x1000n + BigInt(counter);
  if (descending) n = ~n;
  return `${prefix}_${(n & MASK).toString(16).padStart(12, '0')}${randomBase62(14)}`;
}
