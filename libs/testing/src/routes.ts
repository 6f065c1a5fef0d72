import { randomUUID } from 'node:crypto';
import { INestApplication, RequestMethod } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { IS_PUBLIC } from '@heddle/common';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

const METHODS: readonly HttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** One operation of the OpenAPI document, with a URL that can be requested. */
export interface ApiOperation {
  method: HttpMethod;
  /** As documented, e.g. `/api/tokens/{id}`. */
  path: string;
  /** `path` with every `{param}` replaced by a fresh random UUID. */
  url: string;
  /** `x-required-scopes` of the operation; undefined when the extension is missing. */
  requiredScopes: string[] | undefined;
  operation: Record<string, any>;
  /** A body made of the documented examples of the request's required properties (undefined when none). */
  exampleBody: Record<string, unknown> | undefined;
  /** The 200 answer is `text/event-stream`: request it with `{ eventStream: true }` (it never ends by itself). */
  eventStream: boolean;
}

/** Every operation of an OpenAPI document (as served at /docs/openapi.json). */
export function apiOperations(document: {
  paths: Record<string, Record<string, any>>;
  components?: Record<string, any>;
}): ApiOperation[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m.toLowerCase()]).map((method) => {
      const operation = item[method.toLowerCase()] as Record<string, any>;
      const scopes = operation['x-required-scopes'] as unknown;
      return {
        method,
        path,
        url: path.replace(/\{[^}]+\}/g, () => randomUUID()),
        requiredScopes: Array.isArray(scopes) ? scopes.map(String) : undefined,
        operation,
        exampleBody: exampleBody(document, operation),
        eventStream: operation.responses?.['200']?.content?.['text/event-stream'] !== undefined,
      };
    }),
  );
}

function exampleBody(
  document: { components?: Record<string, any> },
  operation: Record<string, any>,
): Record<string, unknown> | undefined {
  const ref = operation.requestBody?.content?.['application/json']?.schema?.$ref as string | undefined;
  if (!ref) return undefined;
  const schema = document.components?.schemas?.[ref.split('/').pop()!] as
    { required?: string[]; properties?: Record<string, { example?: unknown }> } | undefined;
  return Object.fromEntries((schema?.required ?? []).map((name) => [name, schema?.properties?.[name]?.example]));
}

/** One route the Nest app registered, read from controller metadata rather than from the docs. */
export interface NestRoute {
  method: string;
  /** In OpenAPI form, e.g. `/api/tokens/{id}`. */
  path: string;
  controller: string;
  handler: string;
  isPublic: boolean;
}

/**
 * Every controller route of the app, so a test can check that none escaped the OpenAPI document
 * (a route hidden from the docs would also escape a sweep driven by them).
 */
export function nestRoutes(app: INestApplication): NestRoute[] {
  const routes: NestRoute[] = [];
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (abstract new (...args: never[]) => unknown) | null;
      if (!controller) continue;
      const base = pathsOf(Reflect.getMetadata('path', controller));
      const classPublic = Reflect.getMetadata(IS_PUBLIC, controller) === true;
      const proto = controller.prototype as Record<string, unknown>;
      for (const name of Object.getOwnPropertyNames(proto)) {
        if (name === 'constructor') continue;
        const handler = proto[name];
        if (typeof handler !== 'function') continue;
        const methodPaths = Reflect.getMetadata('path', handler) as string | string[] | undefined;
        const method = Reflect.getMetadata('method', handler) as RequestMethod | undefined;
        if (methodPaths === undefined || method === undefined) continue;
        const isPublic = classPublic || Reflect.getMetadata(IS_PUBLIC, handler) === true;
        for (const b of base) {
          for (const p of pathsOf(methodPaths)) {
            routes.push({
              method: RequestMethod[method],
              path: toOpenApiPath(b, p),
              controller: controller.name,
              handler: name,
              isPublic,
            });
          }
        }
      }
    }
  }
  return routes;
}

function pathsOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  return [typeof value === 'string' ? value : '/'];
}

function toOpenApiPath(base: string, path: string): string {
  const joined = `/${base}/${path}`.replace(/\/+/g, '/').replace(/(.)\/$/, '$1');
  return joined.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}
