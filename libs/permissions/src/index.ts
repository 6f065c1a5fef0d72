export { PermissionsModule, PermissionsApiModule } from './permissions.module';
export { PermissionsService } from './permissions.service';
export { PermissionIngest } from './permission-ingest';
export type { WatchedPlace } from './permission-ingest';
export { PermissionWatch, PERMISSION_EVENT_TYPES } from './permission-watch';
export {
  AUTO_ANSWER_QUESTIONS,
  DENIED_BY_POLICY,
  PERMISSION_ACTIONS,
  PERMISSION_REPLIES,
  POLICY_PERMISSIONS,
  answersProblem,
  decidePermission,
  evaluateRuleset,
  firstOptionAnswers,
  fixedAnswers,
  matchAutoAccept,
  readPermissionPolicy,
  readTeamPermissionSettings,
  sessionPermissionRuleset,
} from './permission-policy';
export type {
  AutoAcceptRule,
  AutoAnswerQuestions,
  BashPatternRule,
  PermissionAction,
  PermissionPolicy,
  PermissionReplyKind,
  PolicyDecision,
  QuestionSpec,
  SessionPermissionRule,
  TeamPermissionSettings,
} from './permission-policy';
export { wildcardMatch } from './wildcard';
export { waitedMs } from './waiting';
export type { TaskWaiting, WaitInterval } from './waiting';
export {
  AutoAcceptRuleDto,
  BashPatternRuleDto,
  TaskPermissionPolicyDto,
  TASK_PERMISSION_POLICY_EXAMPLE,
  MAX_AUTO_ACCEPT_RULES,
} from './dto/policy.dto';
export { PERMISSION_STATUSES } from './dto/permission.dto';
export type { PermissionResponseDto, PermissionStatus } from './dto/permission.dto';
export { QUESTION_STATUSES } from './dto/question.dto';
export type { QuestionResponseDto, QuestionStatus } from './dto/question.dto';
