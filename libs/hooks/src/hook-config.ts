import type { HookKind, HookSourceConfigDto } from './dto/hook-source.dto';
import { DEFAULT_TRIGGER } from './github-event';
import { FieldError, checkTemplate } from './template';

/** Fields of a task that come from the payload, never from `config.task`. */
const PAYLOAD_FIELDS = ['name', 'goal', 'workspace'] as const;
const GITHUB_ONLY = ['repos', 'trigger', 'label'] as const;
const GENERIC_ONLY = ['auth', 'signatureHeader', 'template'] as const;
const ABSOLUTE = /^\/(?!.*(^|\/)\.\.(\/|$))[^\0]*$/;
export const DEFAULT_SIGNATURE_HEADER = 'X-Signature-256';
export const TOKEN_HEADER = 'x-heddle-hook-token';

/** A source's config as stored (plain JSON). */
export interface HookConfig {
  repos?: Record<string, string>;
  trigger?: string;
  label?: string;
  auth?: 'token' | 'hmac';
  signatureHeader?: string;
  template?: Record<string, unknown>;
  task?: Record<string, unknown>;
}

/**
 * What class-validator cannot see in a config: settings of the other kind, the repo map's values, the
 * template's paths, and that a generic template yields a goal and a workspace. `task` is checked
 * against POST /api/tasks by the service.
 */
export function checkConfig(kind: HookKind, config: HookSourceConfigDto | HookConfig): FieldError[] {
  const errors: FieldError[] = [];
  const foreign = kind === 'github' ? GENERIC_ONLY : GITHUB_ONLY;
  for (const key of foreign)
    if (config[key] !== undefined)
      errors.push({ field: `config.${key}`, errors: [`is not a setting of ${kind} sources`] });
  if (kind === 'github') {
    const repos = config.repos ?? {};
    if (Object.keys(repos).length > 500) errors.push({ field: 'config.repos', errors: ['lists more than 500 repos'] });
    for (const [repo, workspace] of Object.entries(repos)) {
      if (!/^[\w.-]+\/[\w.-]+$/.test(repo))
        errors.push({ field: `config.repos.${repo}`, errors: ['key must be owner/repo'] });
      if (typeof workspace !== 'string' || workspace.length > 4096 || !ABSOLUTE.test(workspace))
        errors.push({ field: `config.repos.${repo}`, errors: ['must be an absolute path without ".." segments'] });
    }
    if (Object.keys(repos).length === 0)
      errors.push({ field: 'config.repos', errors: ['map at least one owner/repo to a workspace'] });
  } else {
    const template = config.template;
    if (!template) errors.push({ field: 'config.template', errors: ['is required for generic sources'] });
    else {
      errors.push(...checkTemplate(template, 'config.template'));
      for (const field of ['goal', 'workspace'] as const)
        if (template[field] === undefined)
          errors.push({ field: `config.template.${field}`, errors: [`the template must give the task's ${field}`] });
    }
  }
  for (const field of PAYLOAD_FIELDS)
    if (config.task?.[field] !== undefined)
      errors.push({ field: `config.task.${field}`, errors: ['comes from the payload, not from config.task'] });
  return errors;
}

/** The config as stored: plain JSON, without unset keys, with the GitHub trigger's default filled in. */
export function storedConfig(kind: HookKind, config: HookSourceConfigDto | undefined): HookConfig {
  const plain = JSON.parse(JSON.stringify(config ?? {})) as HookConfig;
  if (kind === 'github') return { repos: {}, trigger: DEFAULT_TRIGGER, ...plain };
  return { auth: 'token', ...plain };
}
