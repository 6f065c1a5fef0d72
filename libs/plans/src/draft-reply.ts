import { parsePlan } from '@heddle/checks';
import { planItemText } from './plan-template';

/** A draft's checklist must have this many items (issue 12, "Plans"). */
export const DRAFT_MIN_ITEMS = 3;
export const DRAFT_MAX_ITEMS = 8;

/**
 * What the throw-away session is asked. Only the intent varies; the fixed text avoids the fake LLM's
 * upper-case directives so a test's intent alone decides the scripted reply.
 */
export function draftPrompt(intent: string, workspace: string): string {
  return [
    `You are planning work in the directory ${workspace}. Do not change any file.`,
    `Turn the intent below into a checklist of ${DRAFT_MIN_ITEMS} to ${DRAFT_MAX_ITEMS} concrete, ordered steps,`,
    'each small enough for one working session and checkable when done.',
    'Answer with the checklist only, one step per line, each line starting with "- [ ] ".',
    '',
    'Intent:',
    intent.trim(),
  ].join('\n');
}

export type DraftParse = { ok: true; items: string[] } | { ok: false; found: number; reason: string };

/**
 * The checklist in a reply, read with the plan parser (prose around it is ignored): every item, in
 * order, whatever its marker. Fewer than {@link DRAFT_MIN_ITEMS} or more than {@link DRAFT_MAX_ITEMS}
 * items is not a usable draft.
 */
export function parseDraftReply(text: string): DraftParse {
  const items = parsePlan(text)
    .items.map((item) => planItemText(item.text))
    .filter((t) => t.length > 0);
  if (items.length < DRAFT_MIN_ITEMS || items.length > DRAFT_MAX_ITEMS) {
    const reason =
      items.length === 0
        ? 'the reply holds no checklist ("- [ ] …" lines)'
        : `the reply's checklist has ${items.length} item${items.length === 1 ? '' : 's'}; ${DRAFT_MIN_ITEMS} to ${DRAFT_MAX_ITEMS} are wanted`;
    return { ok: false, found: items.length, reason };
  }
  return { ok: true, items };
}
