export { CHECK_KINDS, CHECK_LIMITS } from './check.types';
export type {
  Check,
  CheckContext,
  CheckEvidence,
  CheckKind,
  CheckMatch,
  CheckOfKind,
  CheckResult,
  CheckStatus,
  ChecklistCompleteCheck,
  ChecklistItemExcerpt,
  ChecksEvaluation,
  ChecksHost,
  CommandCheck,
  FileAbsentCheck,
  FileContainsCheck,
  FileEvidence,
  FileExistsCheck,
  FileNotContainsCheck,
  GitChangedCheck,
  GitHead,
  JsonSchemaCheck,
  PlanCompleteTagCheck,
  ReplyJsonCheck,
  SchemaErrorExcerpt,
  WorkspaceGitEvidence,
} from './check.types';
export { evaluateCheck, evaluateChecks } from './evaluate';
export { describeCheck, describeChecks, describeFailures } from './describe';
export { compareEvidence, evaluationFiles, sha256Hex } from './evidence';
export type { EvidenceDrift, EvidenceSnapshot } from './evidence';
export { branchOf, findPackedRef, parseHeadFile, readWorkspaceGit } from './git-state';
export type { ParsedHeadFile } from './git-state';
export { extractReplyJson, fencedBlocks } from './reply-json';
export type { FencedBlock, ReplyJsonExtraction } from './reply-json';
export { WorkspacePathError, resolveWorkspacePath, workspacePathProblem } from './workspace-path';
export type { ResolvedWorkspacePath, WorkspacePathOptions } from './workspace-path';
export { claimsComplete, itemsClosed, parsePlan, planProgress } from './plan';
export type {
  ParsedPlan,
  PlanCompleteReason,
  PlanCounts,
  PlanItem,
  PlanItemState,
  PlanIterationRecord,
  PlanProgress,
} from './plan';
export { JsonSchemaError, compileJsonSchema, validateJsonSchema } from './json-schema';
export type { JsonSchemaOutcome } from './json-schema';
export { PatternTimeoutError, EVIDENCE_MAX_BYTES, EXCERPT_CHARS, headBytes, tailBytes } from './text';
export {
  ApiCheckListProperty,
  CHECK_DTO_BY_KIND,
  CHECK_DTO_CLASSES,
  ChecklistCompleteCheckDto,
  CommandCheckDto,
  FileAbsentCheckDto,
  FileContainsCheckDto,
  FileExistsCheckDto,
  FileNotContainsCheckDto,
  GitChangedCheckDto,
  IsCheck,
  IsCheckList,
  IsWorkspacePath,
  JsonSchemaCheckDto,
  PlanCompleteTagCheckDto,
  ReplyJsonCheckDto,
  checkSchemaObject,
  validateCheck,
  validateCheckList,
} from './dto/check.dto';
export type { CheckValidation, CheckValidationOptions, IsCheckListOptions } from './dto/check.dto';
