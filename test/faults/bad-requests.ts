// Bad requests for every operation of docs/openapi.json: wrong types, missing and unknown fields,
// huge and deeply nested bodies, NUL bytes, invalid UTF-8, forged cursors, out-of-range numbers and
// dates, bad and long ids, long headers, wrong content types, malformed JSON. Deterministic: the
// same document gives the same requests (extra random mutations come from a seeded generator).
import { randomUUID } from 'node:crypto';
import type { RawRequest } from './raw-http';

export interface BadRequest extends RawRequest {
  /** `METHOD /documented/path` */
  op: string;
  /** What is wrong with it, e.g. `body.name: number`. */
  kind: string;
}

type Doc = { paths: Record<string, Record<string, any>>; components: { schemas: Record<string, any> } };
type Schema = Record<string, any>;

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];
const b64 = (s: string) => Buffer.from(s).toString('base64url');
const enc = encodeURIComponent;

/** Values of the wrong type (or out of range) for a property of this schema. */
function wrongValues(schema: Schema): [string, unknown][] {
  const type = schema.type ?? (schema.oneOf || schema.allOf ? 'object' : undefined);
  const out: [string, unknown][] = [
    ['null', null],
    ['object', { nested: { deeper: [1, 2, 3] } }],
  ];
  if (type !== 'string') out.push(['string', 'not-the-right-type'], ['NUL string', 'a\u0000b']);
  if (type !== 'number' && type !== 'integer') out.push(['number', 12345]);
  if (type !== 'boolean') out.push(['boolean', true]);
  if (type !== 'array') out.push(['array', ['x', 1, null]]);
  if (type === 'string') {
    const tooLong = (schema.maxLength ?? 100_000) + 1;
    out.push([`${tooLong} chars`, 'x'.repeat(tooLong)], ['lone surrogate', '\ud800'], ['NUL only', '\u0000']);
    if (schema.format === 'date-time') {
      out.push(
        ['bad date', '2026-02-30T25:61:00Z'],
        ['year 275760', '+275760-09-13T00:00:00.001Z'],
        ['epoch ms', '1700000000000'],
      );
    }
    if (schema.enum) out.push(['not in enum', 'NOT_A_VALUE']);
  }
  if (type === 'number' || type === 'integer') {
    out.push(['1e308*10', 'INF'], ['-1', -1], ['1.5', 1.5], ['2^53+1', 'BIG'], ['1e300', 1e300]);
    if (typeof schema.minimum === 'number') out.push([`minimum-1`, schema.minimum - 1]);
    if (typeof schema.maximum === 'number') out.push([`maximum+1`, schema.maximum + 1]);
  }
  if (type === 'array') {
    out.push(['10k items', Array.from({ length: 10_000 }, (_, i) => `item-${i}`)], ['array of NUL', ['\u0000']]);
  }
  return out;
}

function resolveRef(doc: Doc, schema: Schema | undefined): Schema | undefined {
  if (!schema?.$ref) return schema;
  return doc.components.schemas[String(schema.$ref).split('/').pop()!];
}

/** A body made of the documented examples of every property (the starting point of each mutation). */
function exampleBody(schema: Schema | undefined): Record<string, unknown> {
  const props = (schema?.properties ?? {}) as Record<string, Schema>;
  return Object.fromEntries(
    Object.entries(props)
      .filter(([name]) => (schema?.required ?? []).includes(name))
      .map(([name, p]) => [name, p.example ?? (p.type === 'string' ? 'x' : p.type === 'array' ? [] : 1)]),
  );
}

/** JSON text with `"INF"` replaced by a literal that overflows to Infinity, `"BIG"` by one past 2^53. */
function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value).replace(/"INF"/g, '1e999').replace(/"BIG"/g, '9007199254740993'));
}

function bodyCases(doc: Doc, op: Schema): [string, Buffer, string?][] {
  const schema = resolveRef(doc, op.requestBody?.content?.['application/json']?.schema);
  const example = exampleBody(schema);
  const cases: [string, Buffer, string?][] = [
    ['malformed JSON {', Buffer.from('{')],
    ['malformed JSON single quotes', Buffer.from("{'name':'x'}")],
    ['malformed JSON trailing comma', Buffer.from('{"a":1,}')],
    ['top-level array', Buffer.from('[]')],
    ['top-level string', Buffer.from('"text"')],
    ['top-level number', Buffer.from('42')],
    ['top-level null', Buffer.from('null')],
    ['empty body with JSON type', Buffer.alloc(0)],
    ['invalid UTF-8', Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}')])],
    ['UTF-16 charset', Buffer.from(JSON.stringify(example), 'utf16le'), 'application/json; charset=utf-16'],
    ['text/plain', json(example), 'text/plain'],
    ['application/xml', Buffer.from('<task><name>x</name></task>'), 'application/xml'],
    ['form-urlencoded', Buffer.from('name=x&scopes=admin'), 'application/x-www-form-urlencoded'],
    [
      'multipart',
      Buffer.from('--b\r\ncontent-disposition: form-data; name="a"\r\n\r\nx\r\n--b--\r\n'),
      'multipart/form-data; boundary=b',
    ],
    ['no content-type', json(example), ''],
    ['content-type garbage', json(example), '\u00ff/\u00fe'],
    ['body over the limit (2 MB)', json({ ...example, pad: 'x'.repeat(2 * 1024 * 1024) })],
    ['nested arrays 100k deep', Buffer.from(`{"deep":${'['.repeat(100_000)}${']'.repeat(100_000)}}`)],
    ['nested objects 5k deep', Buffer.from(`${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`)],
    ['50k fields', Buffer.from(`{${Array.from({ length: 50_000 }, (_, i) => `"k${i}":${i}`).join(',')}}`)],
    ['__proto__ key', Buffer.from(`{"__proto__":{"isAdmin":true},${JSON.stringify(example).slice(1)}`)],
    ['constructor.prototype key', json({ ...example, constructor: { prototype: { polluted: true } } })],
    ['unknown field', json({ ...example, bogus: 1 })],
    ['NUL in unknown key', json({ ...example, 'k\u0000': 1 })],
  ];
  if (!schema?.properties) return cases;
  for (const name of schema.required ?? []) {
    const { [name]: _dropped, ...rest } = example;
    cases.push([`missing ${name}`, json(rest)]);
  }
  for (const [name, raw] of Object.entries(schema.properties as Record<string, Schema>)) {
    const prop = resolveRef(doc, raw) ?? raw;
    for (const [what, value] of wrongValues(prop))
      cases.push([`body.${name}: ${what}`, json({ ...example, [name]: value })]);
  }
  return cases;
}

const FORGED_CURSORS: [string, string][] = [
  ['cursor not base64', '!!!!'],
  ['cursor of a non-uuid', b64(JSON.stringify({ id: 'x' }))],
  ['cursor of SQL', b64(JSON.stringify({ id: "00000000-0000-0000-0000-000000000000' OR '1'='1" }))],
  ['cursor of a number id', b64(JSON.stringify({ id: 12 }))],
  ['cursor of an array', b64('[]')],
  ['cursor of NUL', b64(JSON.stringify({ id: '\u0000' }))],
  ['cursor with %00', 'abc%00def'],
  ['cursor 20k chars', 'A'.repeat(20_000)],
  ['cursor of invalid UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString('base64url')],
];

function queryCases(param: Schema): [string, string][] {
  const s = param.schema ?? {};
  const type = s.type;
  const name = param.name as string;
  const q = (v: string) => `${enc(name)}=${v}`;
  const out: [string, string][] = [
    [`${name} %00`, q('%00')],
    [`${name} malformed percent`, q('%ZZ%')],
    [`${name} 20k chars`, q('z'.repeat(20_000))],
    [`${name} twice`, `${q('1')}&${q('2')}`],
    [`${name}[] bracket`, `${enc(name)}[a]=1`],
  ];
  if (name === 'cursor') for (const [k, v] of FORGED_CURSORS) out.push([k, q(enc(v))]);
  if (type === 'number' || type === 'integer') {
    const values = ['abc', '1e400', '1.5', '99999999999999999999', '', 'NaN', '0x10', '-0.0001'];
    if (typeof s.minimum === 'number') values.push(String(s.minimum - 1));
    if (typeof s.maximum === 'number') values.push(String(s.maximum + 1));
    for (const v of values) out.push([`${name}=${v.slice(0, 12) || 'empty'}`, q(v)]);
  }
  if (type === 'boolean') for (const v of ['maybe', '2', 'TRUE ', '']) out.push([`${name}=${v || 'empty'}`, q(enc(v))]);
  if (s.format === 'date-time') {
    for (const v of ['not-a-date', '2026-13-45T99:99:99Z', '+275760-09-13T00:00:00.001Z', '0000-00-00', '-1']) {
      out.push([`${name}=${v}`, q(enc(v))]);
    }
  }
  if (s.format === 'uuid') for (const v of ['nope', '1', `${randomUUID()}x`]) out.push([`${name}=${v}`, q(v)]);
  if (s.enum || s.items?.enum)
    out.push([`${name} not in enum`, q('NOT_A_VALUE')], [`${name} 1000 commas`, q(','.repeat(1000))]);
  return out;
}

const BAD_IDS: [string, string][] = [
  ['id not a uuid', 'not-a-uuid'],
  ['id 1', '1'],
  ['id -1', '-1'],
  ['id uuid+x', `${randomUUID()}x`],
  ['id %00', `${randomUUID().slice(0, 8)}%00`],
  ['id 5000 chars', 'a'.repeat(5_000)],
  ['id ../', '..%2F..%2Fetc%2Fpasswd'],
  ['id SQL', enc("1' OR '1'='1")],
  ['id emoji', '%F0%9F%92%A9'],
  ['id malformed percent', '%E0%A4%A'],
  ['id uppercase uuid', randomUUID().toUpperCase()],
  ['id nil uuid', '00000000-0000-0000-0000-000000000000'],
];

/** Every bad request for every operation, then seeded random mutations up to `target`. */
export function badRequests(doc: Doc, token: string, target: number): BadRequest[] {
  const out: BadRequest[] = [];
  const auth = { authorization: `Bearer ${token}` };
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS.filter((m) => item[m])) {
      const op = item[method] as Schema;
      const label = `${method.toUpperCase()} ${path}`;
      const url = path.replace(/\{[^}]+\}/g, () => randomUUID());
      const hasBody = Boolean(op.requestBody);
      const base = (kind: string, target: string, extra: Partial<RawRequest> = {}): BadRequest => ({
        op: label,
        kind,
        method: method.toUpperCase(),
        target,
        headers: { ...auth, ...(hasBody ? { 'content-type': 'application/json' } : {}) },
        body: hasBody ? Buffer.from('{}') : undefined,
        ...extra,
      });
      if (path.includes('{')) {
        for (const [kind, id] of BAD_IDS) out.push(base(kind, path.replace(/\{[^}]+\}/g, id)));
      }
      for (const param of (op.parameters ?? []).filter((p: Schema) => p.in === 'query')) {
        for (const [kind, query] of queryCases(param)) out.push(base(kind, `${url}?${query}`));
      }
      out.push(base('unknown query parameter', `${url}?bogus=1`));
      out.push(
        base('x-request-id 10k chars', url, {
          headers: { ...base('', url).headers, 'x-request-id': 'r'.repeat(10_000) },
        }),
      );
      out.push(base('authorization 10k chars', url, { headers: { authorization: `Bearer ${'a'.repeat(10_000)}` } }));
      out.push(
        base('authorization with NUL', url, {
          headers: { authorization: `Bearer hdl_abcdefgh_${'\u0000'.repeat(3)}x` },
        }),
      );
      out.push(base('authorization invalid UTF-8', url, { headers: { authorization: 'Bearer \u00ff\u00fe' } }));
      if ((op.parameters ?? []).some((p: Schema) => p.in === 'header' && /last-event-id/i.test(p.name))) {
        for (const v of ['abc', '-1', '1e400', '99999999999999999999999', 'x'.repeat(5_000)]) {
          out.push(base(`Last-Event-ID ${v.slice(0, 12)}`, url, { headers: { ...auth, 'last-event-id': v } }));
        }
      }
      if ((op.parameters ?? []).some((p: Schema) => p.in === 'header' && /idempotency-key/i.test(p.name))) {
        for (const [kind, v] of [
          ['Idempotency-Key 10k chars', 'k'.repeat(10_000)],
          ['Idempotency-Key empty', ''],
          ['Idempotency-Key control chars', 'a\u0001\u0002b'],
          ['Idempotency-Key invalid UTF-8', '\u00ff\u00fe'],
        ]) {
          out.push(
            base(kind!, url, { headers: { ...auth, 'content-type': 'application/json', 'idempotency-key': v! } }),
          );
        }
      }
      if (hasBody) {
        for (const [kind, body, contentType] of bodyCases(doc, op)) {
          const headers: Record<string, string> = { ...auth };
          if (contentType !== '') headers['content-type'] = contentType ?? 'application/json';
          out.push(base(kind, url, { headers, body }));
        }
      } else if (method !== 'get') {
        out.push(
          base('unexpected JSON body', url, {
            headers: { ...auth, 'content-type': 'application/json' },
            body: Buffer.from('{"x":1}'),
          }),
        );
        out.push(
          base('unexpected malformed body', url, {
            headers: { ...auth, 'content-type': 'application/json' },
            body: Buffer.from('{'),
          }),
        );
      }
    }
  }
  // Seeded random mutations of the bodies, until the target is reached.
  const bodyOps = out.filter((r) => r.body && r.body.length < 200_000 && r.kind.startsWith('body.'));
  let seed = 20_261_123;
  const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const junk = ['\u0000', '\ud83d', '%s%n', '${7*7}', '{{7*7}}', '<script>', '../../', '\u202e', ' ', 'A'.repeat(3000)];
  while (out.length < target && bodyOps.length > 0) {
    const from = bodyOps[Math.floor(random() * bodyOps.length)]!;
    const text = from.body!.toString('utf8');
    const at = Math.floor(random() * text.length);
    const piece = junk[Math.floor(random() * junk.length)]!;
    out.push({
      ...from,
      kind: `${from.kind} + junk at ${at}`,
      body: Buffer.from(text.slice(0, at) + piece + text.slice(at)),
    });
  }
  return out;
}
