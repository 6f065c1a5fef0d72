import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule, getSchemaPath } from '@nestjs/swagger';
import { SESSION_COOKIE } from '@heddle/common';
import { ErrorResponseDto } from './error-body';

const ERROR_DESCRIPTIONS: Record<string, string> = {
  '400': 'Invalid request: malformed JSON, an unknown field, or a field that fails validation (see `details`).',
  '401': 'Missing, unknown, expired or revoked bearer token (or login cookie).',
  '403':
    'The token (or the role of the person logged in) lacks a scope this route needs (named in `message` and ' +
    '`details.missing`); or, with the login cookie, no team membership or a refused CSRF check.',
  '404': "No such object in the caller's team (another team's objects are not found either).",
  '409': 'Conflicts with existing state (a taken name, an invalid transition).',
  '413': 'Request body larger than the configured limit.',
  '429':
    'Over a rate limit of the token (reads or writes per window), of the client address (failed authentications), ' +
    'or of open event streams per token; `Retry-After` says when to try again.',
  '500': 'Unexpected server error; quote `requestId` when reporting it.',
};

const REQUEST_ID = '0f4c1c3e-5c9b-4c53-9e0e-0d3b7e5d9a11';
/** One example body per status, so a reader (and a generated client's docs) sees what each looks like. */
const ERROR_EXAMPLES: Record<string, { statusCode: number; code: string; message: string; details: unknown }> = {
  '400': {
    statusCode: 400,
    code: 'request/validation_failed',
    message: 'request validation failed: name must be a string',
    details: [{ field: 'name', errors: ['name must be a string'] }],
  },
  '401': { statusCode: 401, code: 'auth/unauthorized', message: 'a valid bearer token is required', details: null },
  '403': {
    statusCode: 403,
    code: 'auth/missing_scope',
    message: 'this token lacks the scope tasks:write',
    details: { missing: ['tasks:write'] },
  },
  '404': { statusCode: 404, code: 'task/not_found', message: 'task 0195f3c2-… not found', details: null },
  '409': {
    statusCode: 409,
    code: 'task/invalid_state',
    message: 'cannot abort a task that is completed',
    details: { currentState: 'completed' },
  },
  '413': {
    statusCode: 413,
    code: 'request/too_large',
    message: 'request body is larger than 1048576 bytes',
    details: null,
  },
  '429': {
    statusCode: 429,
    code: 'request/rate_limited',
    message: 'too many writes for this token; try again in 3 s',
    details: { retryAfterSeconds: 3 },
  },
  '500': { statusCode: 500, code: 'internal/error', message: 'internal server error', details: null },
};

const BEARER = 'bearer';
const SESSION = 'session';

const RETRY_AFTER = {
  description: 'Seconds to wait before trying again.',
  schema: { type: 'integer' as const, minimum: 1 },
};

/**
 * Builds the OpenAPI document of whatever controllers the app has, and gives every operation the
 * shared error body for the errors it can produce. Used by Swagger UI and by `npm run openapi`.
 */
export function buildOpenApiDocument(app: INestApplication, version: string): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Heddle API')
    .setDescription(
      'Dispatch coding tasks to OpenCode agents on registered hosts, watch them live, and complete them only ' +
        'when their checks pass against the workspace.\n\nAuthenticate with `Authorization: Bearer hdl_<prefix>_<secret>`, ' +
        'or, where OIDC login is configured, with the login cookie from `/auth/login` (see the `session` scheme). ' +
        'Every error answers the same body (`ErrorResponseDto`). Lists page with `limit` (≤ 100) and the opaque ' +
        "`cursor` taken from the previous page's `nextCursor`.",
    )
    .setVersion(version)
    .addServer('/', 'This server')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'hdl_<prefix>_<secret>' }, BEARER)
    .addCookieAuth(
      SESSION_COOKIE,
      {
        type: 'apiKey',
        description:
          'The login cookie (only where OIDC login is configured): open `/auth/login?returnTo=/docs` in this browser ' +
          'and Swagger UI sends it by itself. The role of the person in the team decides the scopes; with several ' +
          'teams, name one in the `X-Heddle-Team` header. Writes also need the `X-CSRF-Token` header (`csrfToken` ' +
          'of `GET /api/me`) or an `Origin` of this server, which browsers send. A bearer token wins over the cookie.',
      },
      SESSION,
    )
    .build();
  config.info.license = { name: 'Proprietary' };
  const document = SwaggerModule.createDocument(app, config, {
    extraModels: [ErrorResponseDto],
    operationIdFactory,
  });
  addStandardErrors(document);
  return document;
}

/**
 * camelCase operation ids that read well in generated clients: `TasksController.create` → `tasksCreate`,
 * and a method named after its controller is not repeated (`MeController.me` → `me`).
 */
function operationIdFactory(controllerKey: string, methodKey: string): string {
  const noun = controllerKey.replace(/Controller$/, '');
  const lower = noun.charAt(0).toLowerCase() + noun.slice(1);
  if (methodKey.toLowerCase().startsWith(lower.toLowerCase())) return methodKey;
  return `${lower}${methodKey.charAt(0).toUpperCase()}${methodKey.slice(1)}`;
}

function addStandardErrors(document: OpenAPIObject): void {
  const errorRef = { $ref: getSchemaPath(ErrorResponseDto) };
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of ['get', 'post', 'put', 'patch', 'delete'] as const) {
      const op = item[method];
      if (!op) continue;
      const secured = (op.security ?? document.security ?? []).some((s) => BEARER in s);
      const codes = ['400', '500'];
      if (secured) codes.push('401', '403', '429');
      if (path.includes('{')) codes.push('404');
      if (method === 'post' || method === 'patch' || method === 'put') codes.push('409', '413');
      for (const code of codes) {
        op.responses[code] ??= {
          description: ERROR_DESCRIPTIONS[code]!,
          ...(code === '429' ? { headers: { 'Retry-After': RETRY_AFTER } } : {}),
          content: {
            'application/json': { schema: errorRef, example: { ...ERROR_EXAMPLES[code], requestId: REQUEST_ID } },
          },
        };
      }
    }
  }
}
