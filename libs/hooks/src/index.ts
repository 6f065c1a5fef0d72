export { HooksModule, HooksApiModule } from './hooks.module';
export { HooksService, RepoNotMappedError } from './hooks.service';
export { HookSourcesService } from './hook-sources.service';
export { HooksRepository } from './hooks.repository';
export { HookSecrets, newHookSecret } from './hook-secrets';
export { signPayload, verifySignature } from './github-signature';
export { parseGithubEvent, matchTrigger, workspaceFor, DEFAULT_TRIGGER } from './github-event';
export type { GithubConfig, GithubOrigin, GithubOutcome } from './github-event';
export { renderTemplate, getPath, parsePath, checkTemplate, TemplateError } from './template';
export { TOKEN_HEADER, DEFAULT_SIGNATURE_HEADER } from './hook-config';
export { HOOK_KINDS, GENERIC_AUTH } from './dto/hook-source.dto';
export type {
  HookKind,
  HookReceipt,
  HookSourceResponseDto,
  HookSourceWithSecretResponseDto,
} from './dto/hook-source.dto';
