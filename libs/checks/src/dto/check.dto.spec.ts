import 'reflect-metadata';
import { Body, Controller, Post } from '@nestjs/common';
import { ApiExtraModels, ApiProperty, DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { plainToInstance } from 'class-transformer';
import { IsOptional, IsString, validateSync } from 'class-validator';
import { CHECK_KINDS } from '../check.types';
import {
  ApiCheckListProperty,
  CHECK_DTO_BY_KIND,
  CHECK_DTO_CLASSES,
  IsCheck,
  IsCheckList,
  IsWorkspacePath,
  validateCheck,
  validateCheckList,
} from './check.dto';

const valid = (value: unknown, workspace?: string) => {
  const r = validateCheck(value, { workspace });
  if (r.errors.length) throw new Error(r.errors.join('\n'));
  return r.check;
};
const errorsOf = (value: unknown, workspace?: string) => validateCheck(value, { workspace }).errors;

describe('validateCheck', () => {
  it('accepts one valid check of every kind', () => {
    const examples = [
      { kind: 'file_exists', path: 'src/a.ts', name: 'source' },
      { kind: 'file_absent', path: 'tmp/x' },
      { kind: 'file_contains', path: 'a.ts', pattern: 'x' },
      { kind: 'file_not_contains', path: 'a.ts', pattern: 'TODO\\b', regex: true, flags: 'im' },
      { kind: 'checklist_complete', path: 'openspec/changes/x/tasks.md' },
      { kind: 'plan_complete_tag', path: 'PLAN.md' },
      { kind: 'git_changed' },
      { kind: 'git_changed', paths: ['src', '.'] },
      { kind: 'command', command: 'npm test', timeoutSeconds: 600 },
      { kind: 'json_schema', path: 'out.json', schema: { type: 'object', required: ['ok'] } },
      { kind: 'reply_json', schema: { type: 'object', required: ['summary'] }, name: 'result' },
    ];
    expect(new Set(examples.map((e) => e.kind))).toEqual(new Set(CHECK_KINDS));
    for (const e of examples) expect(valid(e)).toEqual(e);
  });

  it('refuses unknown kinds, non-objects and unknown fields', () => {
    expect(errorsOf({ kind: 'trust_me' })).toEqual([
      expect.stringMatching(/^check\.kind must be one of file_exists, .*, json_schema, reply_json$/),
    ]);
    expect(errorsOf(null)).toEqual(['check must be an object']);
    expect(errorsOf([])).toEqual(['check must be an object']);
    expect(errorsOf({ kind: 'file_exists', path: 'a', pattern: 'x' })).toEqual([
      'check.pattern: property pattern should not exist',
    ]);
  });

  it('requires each kind’s fields and checks their types', () => {
    expect(errorsOf({ kind: 'file_exists' })).toEqual(['check.path must be a string']);
    expect(errorsOf({ kind: 'file_contains', path: 'a' })).toEqual(['check.pattern must be a string']);
    expect(errorsOf({ kind: 'json_schema', path: 'a.json' })).toEqual(['check.schema must be an object']);
    expect(errorsOf({ kind: 'reply_json' })).toEqual(['check.schema must be an object']);
    // reply_json reads the reply, not the workspace: it has no path.
    expect(errorsOf({ kind: 'reply_json', schema: {}, path: 'out.json' })).toEqual([
      'check.path: property path should not exist',
    ]);
    expect(errorsOf({ kind: 'reply_json', schema: {}, path: '/etc/passwd' }, '/srv/ws')).toEqual([
      'check.path: property path should not exist',
    ]);
    expect(errorsOf({ kind: 'file_contains', path: 'a', pattern: 'x', regex: 'yes' })).toEqual([
      'check.regex must be a boolean value',
    ]);
    expect(errorsOf({ kind: 'command', command: '   ' })).toEqual(['check.command must not be blank']);
    expect(errorsOf({ kind: 'command', command: 'x', timeoutSeconds: 0 })).toEqual([
      'check.timeoutSeconds must not be less than 1',
    ]);
    expect(errorsOf({ kind: 'command', command: 'x', timeoutSeconds: 1.5 })).toEqual([
      'check.timeoutSeconds must be an integer number',
    ]);
    expect(errorsOf({ kind: 'command', command: 'x', timeoutSeconds: 3601 })).toEqual([
      'check.timeoutSeconds must not be greater than 3600',
    ]);
    expect(errorsOf({ kind: 'file_exists', path: 'a', name: null })).toEqual(['check.name must be a string']);
    expect(errorsOf({ kind: 'git_changed', paths: 'src' })).toEqual(['check.paths must be an array']);
    expect(errorsOf({ kind: 'git_changed', paths: [1] })).toEqual([
      'check.paths: each value in paths must be a string',
    ]);
  });

  it('compiles regular expressions and limits flags', () => {
    expect(errorsOf({ kind: 'file_contains', path: 'a', pattern: '(', regex: true })).toEqual([
      expect.stringMatching(/^check\.pattern is not a valid regular expression: /),
    ]);
    expect(valid({ kind: 'file_contains', path: 'a', pattern: '(' })).toBeDefined(); // literal
    // RE2 (linear time) has no lookaround or backreferences: refused when the task is created.
    for (const pattern of ['a(?=b)', '(?<!a)b', '(x)\\1']) {
      expect(errorsOf({ kind: 'file_contains', path: 'a', pattern, regex: true })).toEqual([
        expect.stringMatching(/^check\.pattern is not a valid regular expression: /),
      ]);
    }
    for (const flags of ['g', 'ii', 'x', 'y']) {
      expect(errorsOf({ kind: 'file_contains', path: 'a', pattern: 'x', flags })).toEqual([
        'check.flags must be letters from "imsu", each at most once',
      ]);
    }
  });

  it.each([
    ['json_schema', { path: 'a.json' }],
    ['reply_json', {}],
  ])('%s: compiles the schema like every JSON Schema (limits, RE2 patterns, no $async)', (kind, extra) => {
    const errs = (schema: unknown) => errorsOf({ kind, ...extra, schema });
    expect(errs({ type: 'nope' })).toEqual([expect.stringMatching(/^check\.schema: invalid JSON Schema: /)]);
    expect(errs({ type: 'string', pattern: '(?=x)' })).toEqual([
      expect.stringMatching(/^check\.schema: invalid JSON Schema: /),
    ]);
    expect(errs({ $async: true, type: 'object' })).toEqual([
      'check.schema: asynchronous schemas ($async) are not supported',
    ]);
    expect(errs({ type: 'object', description: 'x'.repeat(70_000) })).toEqual([
      'check.schema: the schema must be at most 65536 bytes of JSON',
    ]);
    expect(errs('{"type":"object"}')).toEqual(['check.schema must be an object']);
    expect(
      valid({ kind, ...extra, schema: { $schema: 'https://json-schema.org/draft/2020-12/schema' } }),
    ).toBeDefined();
  });

  it('compiles JSON Schemas', () => {
    expect(errorsOf({ kind: 'json_schema', path: 'a.json', schema: { type: 'nope' } })).toEqual([
      expect.stringMatching(/^check\.schema: invalid JSON Schema: /),
    ]);
    expect(errorsOf({ kind: 'json_schema', path: 'a.json', schema: { $ref: 'https://example.com/s.json' } })).toEqual([
      expect.stringMatching(/can't resolve reference/),
    ]);
    expect(errorsOf({ kind: 'json_schema', path: 'a.json', schema: { $async: true, type: 'object' } })).toEqual([
      'check.schema: asynchronous schemas ($async) are not supported',
    ]);
    expect(errorsOf({ kind: 'json_schema', path: 'a.json', schema: [] })).toEqual(['check.schema must be an object']);
    const big = { type: 'object', description: 'x'.repeat(70_000) };
    expect(errorsOf({ kind: 'json_schema', path: 'a.json', schema: big })).toEqual([
      'check.schema: the schema must be at most 65536 bytes of JSON',
    ]);
    // The same $id with different content in two checks: each compiles on its own.
    const a = { $id: 'https://example.com/s', type: 'object' };
    const b = { $id: 'https://example.com/s', type: 'array' };
    expect(valid({ kind: 'json_schema', path: 'a.json', schema: a })).toBeDefined();
    expect(valid({ kind: 'json_schema', path: 'a.json', schema: b })).toBeDefined();
  });

  it('confines paths at validation time', () => {
    for (const path of ['../x', 'a/../../x', 'x\0', '', '.', 'a\\b']) {
      expect(errorsOf({ kind: 'file_exists', path })).toEqual([expect.stringMatching(/^check\.path (must|should)/)]);
    }
    expect(errorsOf({ kind: 'file_exists', path: '/etc/passwd' })).toEqual([
      'check.path must be relative to the workspace (absolute paths only inside the task workspace)',
    ]);
    expect(errorsOf({ kind: 'git_changed', paths: ['src', '../other'] })).toEqual([
      'check.paths[1] must not escape the workspace (..)',
    ]);
  });

  it('with the workspace: absolute paths inside are rewritten as relative, outside are refused', () => {
    expect(valid({ kind: 'file_exists', path: '/srv/ws/src/a.ts' }, '/srv/ws')).toEqual({
      kind: 'file_exists',
      path: 'src/a.ts',
    });
    expect(errorsOf({ kind: 'file_exists', path: '/etc/passwd' }, '/srv/ws')).toEqual([
      'check.path must lie inside the workspace /srv/ws',
    ]);
    expect(errorsOf({ kind: 'file_exists', path: '/srv/ws' }, '/srv/ws')).toEqual([
      'check.path must name a file inside the workspace, not the workspace',
    ]);
    expect(valid({ kind: 'git_changed', paths: ['/srv/ws', '/srv/ws/docs/'] }, '/srv/ws')).toEqual({
      kind: 'git_changed',
      paths: ['.', 'docs'],
    });
    expect(errorsOf({ kind: 'git_changed', paths: ['/tmp'] }, '/srv/ws')).toEqual([
      'check.paths[0] must lie inside the workspace /srv/ws',
    ]);
  });

  it('normalises relative paths in the returned check and does not touch the input', () => {
    const input = { kind: 'file_exists', path: './src//a.ts' };
    expect(valid(input)).toEqual({ kind: 'file_exists', path: 'src/a.ts' });
    expect(input.path).toBe('./src//a.ts');
  });
});

describe('validateCheckList', () => {
  it('prefixes every problem with its index and caps the list', () => {
    expect(
      validateCheckList([{ kind: 'file_exists', path: 'a' }, { kind: 'file_exists', path: '../b' }, { kind: 'x' }]),
    ).toEqual({
      errors: [
        'checks[1].path must not escape the workspace (..)',
        expect.stringMatching(/^checks\[2\]\.kind must be/),
      ],
    });
    expect(validateCheckList('nope').errors).toEqual(['checks must be an array']);
    expect(validateCheckList(Array(51).fill({ kind: 'git_changed' })).errors).toEqual([
      'checks must have at most 50 entries',
    ]);
    expect(validateCheckList([{ kind: 'git_changed' }])).toEqual({ checks: [{ kind: 'git_changed' }], errors: [] });
  });
});

describe('decorators on a task-like DTO', () => {
  class TaskLikeDto {
    @IsString()
    workspace!: string;

    @IsCheckList()
    checks!: unknown[];

    @IsWorkspacePath()
    planFile!: string;

    @IsOptional()
    @IsCheck()
    gate?: unknown;
  }

  const check = (body: object) =>
    validateSync(plainToInstance(TaskLikeDto, body), { whitelist: true, forbidNonWhitelisted: true }).flatMap((e) =>
      Object.values(e.constraints ?? {}),
    );

  it('validates the checks by kind and judges absolute paths against the sibling workspace', () => {
    expect(
      check({
        workspace: '/srv/ws',
        planFile: 'PLAN.md',
        checks: [
          { kind: 'file_exists', path: '/srv/ws/a.ts' },
          { kind: 'json_schema', path: 'a.json', schema: { type: 'object', required: ['a'] } },
        ],
      }),
    ).toEqual([]);
    expect(
      check({
        workspace: '/srv/ws',
        planFile: '../PLAN.md',
        checks: [{ kind: 'file_exists', path: '/etc/passwd' }, { kind: 'command' }],
      }),
    ).toEqual([
      expect.stringMatching(
        /^checks\[0\]\.path must lie inside the workspace \/srv\/ws; checks\[1\]\.command must [^;]+$/,
      ),
      'planFile must not escape the workspace (..)',
    ]);
  });

  it('IsCheck validates a single check the same way', () => {
    expect(check({ workspace: '/srv/ws', planFile: 'P.md', checks: [], gate: { kind: 'git_changed' } })).toEqual([]);
    expect(
      check({ workspace: '/srv/ws', planFile: 'P.md', checks: [], gate: { kind: 'file_exists', path: '/srv/x' } }),
    ).toEqual(['gate.path must lie inside the workspace /srv/ws']);
  });
});

describe('OpenAPI document', () => {
  class CreateThingDto {
    @ApiProperty()
    @IsString()
    workspace!: string;

    @ApiCheckListProperty()
    @IsCheckList()
    checks?: unknown[];
  }

  @Controller('things')
  @ApiExtraModels(...CHECK_DTO_CLASSES)
  class ThingsController {
    @Post()
    create(@Body() _body: CreateThingDto) {
      return {};
    }
  }

  it('renders the checks as a oneOf of the per-kind DTOs discriminated by kind', async () => {
    const moduleRef = await Test.createTestingModule({ controllers: [ThingsController] }).compile();
    const app = moduleRef.createNestApplication(new FastifyAdapter(), { logger: false });
    await app.init();
    try {
      const doc = SwaggerModule.createDocument(app, new DocumentBuilder().build());
      const schemas = doc.components!.schemas! as Record<string, any>;
      expect(schemas.CreateThingDto.properties.checks).toMatchObject({
        type: 'array',
        maxItems: 50,
        items: {
          oneOf: CHECK_DTO_CLASSES.map((c) => ({ $ref: `#/components/schemas/${c.name}` })),
          discriminator: {
            propertyName: 'kind',
            mapping: expect.objectContaining({ json_schema: '#/components/schemas/JsonSchemaCheckDto' }),
          },
        },
      });
      expect(CHECK_DTO_CLASSES).toHaveLength(CHECK_KINDS.length);
      for (const kind of CHECK_KINDS) {
        const schema = schemas[CHECK_DTO_BY_KIND[kind].name];
        expect(schema.properties.kind).toMatchObject({ enum: [kind] });
        expect(schema.required).toContain('kind');
      }
      expect(schemas.FileContainsCheckDto.required).toEqual(expect.arrayContaining(['kind', 'path', 'pattern']));
      expect(schemas.FileContainsCheckDto.required).not.toContain('regex');
      expect(schemas.GitChangedCheckDto.properties.paths).toMatchObject({ type: 'array', items: { type: 'string' } });
      expect(schemas.JsonSchemaCheckDto.properties.schema).toMatchObject({ type: 'object' });
      expect(schemas.ReplyJsonCheckDto.required).toEqual(expect.arrayContaining(['kind', 'schema']));
      expect(schemas.ReplyJsonCheckDto.properties).not.toHaveProperty('path');
      expect(schemas.ReplyJsonCheckDto.properties.schema).toMatchObject({
        type: 'object',
        example: expect.objectContaining({ type: 'object' }),
      });
      expect(schemas.CreateThingDto.properties.checks.items.discriminator.mapping).toMatchObject({
        reply_json: '#/components/schemas/ReplyJsonCheckDto',
      });
    } finally {
      await app.close();
    }
  });
});
