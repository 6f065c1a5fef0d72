// What a prompt does: the scripts tests registered (latest matching wins, optionally a few times
// only), else the default script, else the keyword behaviour of the fake LLM (script.ts).
import { resolve } from 'node:path';
import { stepsForPrompt } from './script';
import type { FakePromptContext, FakeScript, FakeScriptMatcher, FakeScriptOptions, FakeStep } from './types';

interface ScriptEntry {
  matcher: FakeScriptMatcher;
  script: FakeScript;
  remaining?: number;
}

export interface KeywordOptions {
  /** Content written by keyword prompts (`FILE:`, default `DONE.md`). */
  fileContent?: string;
  /** Delay of the `SLOW` keyword. */
  slowMs?: number;
}

export class ScriptRegistry {
  private scripts: ScriptEntry[] = [];
  private defaultScript: FakeScript | null = null;

  constructor(private readonly keywords: KeywordOptions) {}

  add(matcher: FakeScriptMatcher, script: FakeScript, options: FakeScriptOptions = {}): () => void {
    const entry: ScriptEntry = { matcher, script, remaining: options.times };
    this.scripts.push(entry);
    return () => {
      this.scripts = this.scripts.filter((e) => e !== entry);
    };
  }

  setDefault(script: FakeScript | null): void {
    this.defaultScript = script;
  }

  clear(): void {
    this.scripts = [];
    this.defaultScript = null;
  }

  resolve(ctx: FakePromptContext): FakeStep[] {
    const matches = (m: FakeScriptMatcher): boolean => {
      if (typeof m === 'string') return ctx.text.includes(m);
      if (m instanceof RegExp) return m.test(ctx.text);
      if (typeof m === 'function') return m(ctx);
      if (m.sessionID !== undefined && m.sessionID !== ctx.sessionID) return false;
      if (m.directory !== undefined && resolve(m.directory) !== ctx.directory) return false;
      if (m.text !== undefined && !(typeof m.text === 'string' ? ctx.text.includes(m.text) : m.text.test(ctx.text))) {
        return false;
      }
      return true;
    };
    const run = (script: FakeScript) => (typeof script === 'function' ? script(ctx) : script).slice();
    for (let i = this.scripts.length - 1; i >= 0; i--) {
      const entry = this.scripts[i];
      if (!matches(entry.matcher)) continue;
      if (entry.remaining !== undefined && --entry.remaining <= 0) this.scripts.splice(i, 1);
      return run(entry.script);
    }
    if (this.defaultScript) return run(this.defaultScript);
    return stepsForPrompt(ctx.text, { fileContent: this.keywords.fileContent, slowMs: this.keywords.slowMs });
  }
}
