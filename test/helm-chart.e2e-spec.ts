import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { ENV_SCHEMA, WORKER_CONSUMER_NAMES } from '@heddle/config';
import { builtFrom, dockerfileStages, imageCommands, inImage, readRepoFile, REPO_ROOT } from '@heddle/testing';
import { HELM_VERSION, runHelm } from '../scripts/helm-lib.mjs';

// The chart is checked with a real helm (scripts/helm-lib.mjs fetches it once into
// node_modules/.cache/heddle-helm) and statically: no cluster is reachable here, so the rendered
// objects are read and compared with the config schema, the Dockerfile and values.yaml.

const CHART = 'helm/heddle';
const chartDir = join(REPO_ROOT, CHART);
const PRODUCTION_VALUES = `${CHART}/ci/production-values.yaml`;
// Read at test time, so variables another change adds to the schema count at once.
const knownVariables = new Set(Object.values(ENV_SCHEMA).map((v) => v.name));
const commands = imageCommands();
const stages = dockerfileStages();

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any;
}

interface Container {
  name: string;
  args?: string[];
  command?: string[];
  env?: {
    name: string;
    value?: string;
    valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } };
  }[];
  ports?: { name: string; containerPort: number }[];
  livenessProbe?: any;
  readinessProbe?: any;
  startupProbe?: any;
  securityContext?: any;
  volumeMounts?: { name: string; mountPath: string }[];
}

async function helm(args: string[]): Promise<string> {
  const { code, stdout, stderr } = await runHelm(REPO_ROOT, args);
  if (code !== 0) throw new Error(`helm ${args.join(' ')} exited ${code}:\n${stderr}${stdout}`);
  return stdout;
}

async function render(valuesFiles: string[] = [], extra: string[] = []): Promise<K8sObject[]> {
  const out = await helm([
    'template',
    'heddle',
    CHART,
    '--namespace',
    'heddle',
    ...valuesFiles.flatMap((f) => ['-f', f]),
    ...extra,
  ]);
  return parseAllDocuments(out)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

const podSpec = (o: K8sObject) => o.spec.template.spec;
const containers = (o: K8sObject): Container[] => [
  ...(podSpec(o).initContainers ?? []),
  ...(podSpec(o).containers ?? []),
];
const envOf = (c: Container) => Object.fromEntries((c.env ?? []).map((e) => [e.name, e]));
const workloads = (objects: K8sObject[]) => objects.filter((o) => ['Deployment', 'Job'].includes(o.kind));
const byComponent = (objects: K8sObject[], kind: string, component: string) =>
  objects.filter((o) => o.kind === kind && o.metadata.labels?.['app.kubernetes.io/component'] === component);

/** Every `.Values.a.b…` path used in the chart's templates. */
function valuesPathsUsed(): { file: string; path: string }[] {
  const used: { file: string; path: string }[] = [];
  const dir = join(chartDir, 'templates');
  for (const file of readdirSync(dir)) {
    const text = readFileSync(join(dir, file), 'utf8');
    for (const [, path] of text.matchAll(/\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g))
      used.push({ file, path: path!.slice(1) });
  }
  return used;
}

describe(`Helm chart ${CHART} (helm ${HELM_VERSION})`, () => {
  let defaults: K8sObject[];
  let production: K8sObject[];

  beforeAll(async () => {
    [defaults, production] = await Promise.all([render(), render([PRODUCTION_VALUES])]);
  }, 120_000);

  it('passes helm lint --strict with the default and with production-like values', async () => {
    for (const args of [[], ['-f', PRODUCTION_VALUES]]) {
      const out = await helm(['lint', '--strict', CHART, ...args]);
      expect(out).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    }
  });

  it('renders the objects the issue asks for', () => {
    const kinds = (objects: K8sObject[]) => objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    expect(kinds(defaults)).toEqual(
      [
        'Deployment/heddle-api',
        'Deployment/heddle-worker-all',
        'Job/heddle-migrate',
        'PodDisruptionBudget/heddle-api',
        'PodDisruptionBudget/heddle-worker-all',
        'Secret/heddle',
        'Service/heddle',
      ].sort(),
    );
    expect(kinds(production)).toEqual(
      [
        'Deployment/heddle-api',
        'Deployment/heddle-worker-fanout',
        'Deployment/heddle-worker-harness',
        'HorizontalPodAutoscaler/heddle-api',
        'HorizontalPodAutoscaler/heddle-worker-harness',
        'Ingress/heddle',
        'Job/heddle-migrate',
        'PodDisruptionBudget/heddle-api',
        'PodDisruptionBudget/heddle-worker-fanout',
        'PodDisruptionBudget/heddle-worker-harness',
        'Service/heddle',
        'Service/heddle-workers',
        'ServiceAccount/heddle',
        'ServiceMonitor/heddle',
      ].sort(),
    );
  });

  it('uses only .Values paths that values.yaml defines', () => {
    const values = parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8')) as Record<string, unknown>;
    const used = valuesPathsUsed();
    expect(used.length).toBeGreaterThan(50);
    for (const { file, path } of used) {
      let node: unknown = values;
      for (const key of path.split('.')) {
        node =
          node !== null && typeof node === 'object' && key in node ? (node as Record<string, unknown>)[key] : undefined;
        if (node === undefined) break;
      }
      expect({ file, path, defined: node !== undefined }).toEqual({ file, path, defined: true });
    }
  });

  it('passes containers only variables of the config schema', () => {
    for (const objects of [defaults, production]) {
      for (const workload of workloads(objects)) {
        for (const container of containers(workload)) {
          for (const { name } of container.env ?? []) {
            expect({ workload: workload.metadata.name, name, known: knownVariables.has(name) }).toEqual({
              workload: workload.metadata.name,
              name,
              known: true,
            });
          }
        }
      }
    }
  });

  it('runs the image commands the Dockerfile documents, whose files the image holds', () => {
    const expected: Record<string, string[]> = {
      api: commands.api,
      worker: commands.worker,
      migrate: commands.migrate,
    };
    for (const objects of [defaults, production]) {
      for (const workload of workloads(objects)) {
        const component = workload.metadata.labels!['app.kubernetes.io/component']!;
        const [container] = podSpec(workload).containers as Container[];
        // args, not command: the image's ENTRYPOINT (tini) stays PID 1 and forwards SIGTERM.
        expect({ workload: workload.metadata.name, command: container!.command, args: container!.args }).toEqual({
          workload: workload.metadata.name,
          command: undefined,
          args: expected[component],
        });
      }
    }
    for (const [name, [, file]] of Object.entries(expected)) {
      expect({ name, file, inImage: inImage(stages, 'runtime', file!) }).toEqual({ name, file, inImage: true });
      if (file!.startsWith('dist/'))
        expect({ name, file, source: builtFrom(file!) }).not.toEqual({ name, file, source: undefined });
    }
  });

  it('probes /healthz and /readyz on the port each process listens on', () => {
    for (const objects of [defaults, production]) {
      const [api] = byComponent(objects, 'Deployment', 'api');
      const apiContainer = containers(api!)[0]!;
      const port = Number(envOf(apiContainer).PORT?.value);
      expect(apiContainer.ports).toEqual([{ name: 'http', containerPort: port, protocol: 'TCP' }]);
      expect(port).toBe(Number(ENV_SCHEMA.port.default));
      expect(apiContainer.startupProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
      expect(apiContainer.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
      expect(apiContainer.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });

      const workers = byComponent(objects, 'Deployment', 'worker');
      expect(workers.length).toBeGreaterThan(0);
      for (const worker of workers) {
        const c = containers(worker)[0]!;
        const healthPort = Number(envOf(c).WORKER_HEALTH_PORT?.value);
        expect(healthPort).toBe(Number(ENV_SCHEMA.workerHealthPort.default));
        expect(c.ports).toEqual([{ name: 'health', containerPort: healthPort, protocol: 'TCP' }]);
        expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'health' });
        expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'health' });
      }
      const [service] = objects.filter((o) => o.kind === 'Service' && o.metadata.name === 'heddle');
      expect(service!.spec.ports[0].targetPort).toBe('http');
      expect(service!.spec.selector).toEqual(api!.spec.selector.matchLabels);
    }
  });

  it('runs every pod as non-root on a read-only root filesystem with /tmp on an emptyDir', () => {
    for (const objects of [defaults, production]) {
      for (const workload of workloads(objects)) {
        const spec = podSpec(workload);
        const where = workload.metadata.name;
        // uid 1000 is the image's USER node.
        expect({ where, pod: spec.securityContext }).toMatchObject({
          where,
          pod: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } },
        });
        expect({ where, automount: spec.automountServiceAccountToken }).toEqual({ where, automount: false });
        const tmp = spec.volumes.find((v: { name: string }) => v.name === 'tmp');
        expect({ where, tmp: tmp?.emptyDir }).toEqual({ where, tmp: expect.any(Object) as object });
        for (const c of containers(workload)) {
          expect({ where, container: c.securityContext }).toMatchObject({
            where,
            container: {
              readOnlyRootFilesystem: true,
              allowPrivilegeEscalation: false,
              runAsNonRoot: true,
              capabilities: { drop: ['ALL'] },
            },
          });
          expect(c.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
        }
      }
    }
    expect(readRepoFile('Dockerfile')).toMatch(/^USER node$/m);
  });

  it('lets pods drain: grace period above SHUTDOWN_TIMEOUT_MS (plus the api pre-stop pause)', () => {
    const shutdownSeconds = Number(ENV_SCHEMA.shutdownTimeoutMs.default) / 1000;
    for (const objects of [defaults, production]) {
      for (const deployment of objects.filter((o) => o.kind === 'Deployment')) {
        const spec = podSpec(deployment);
        const preStop = Number(spec.containers[0].lifecycle?.preStop?.exec?.command?.[1] ?? 0);
        expect(spec.terminationGracePeriodSeconds).toBeGreaterThan(shutdownSeconds + preStop);
      }
    }
  });

  it('takes secrets from the chart Secret or an existing one, by their variable names', async () => {
    const secret = (objects: K8sObject[]) => objects.find((o) => o.kind === 'Secret');
    const required = ['DATABASE_URL', 'REDIS_URL', 'HEDDLE_ENCRYPTION_KEY'];
    const optional = ['HEDDLE_BOOTSTRAP_TOKEN', 'OIDC_CLIENT_SECRET', 'SESSION_SECRET', 'METRICS_TOKEN'];
    for (const [objects, secretName] of [
      [defaults, 'heddle'],
      [production, 'heddle-secrets'],
    ] as const) {
      for (const deployment of objects.filter((o) => o.kind === 'Deployment')) {
        const env = envOf(containers(deployment)[0]!);
        for (const name of [...required, ...optional]) {
          expect({ name, ref: env[name]?.valueFrom?.secretKeyRef }).toEqual({
            name,
            ref: { name: secretName, key: name, ...(optional.includes(name) ? { optional: true } : {}) },
          });
        }
      }
      const [job] = objects.filter((o) => o.kind === 'Job');
      expect(envOf(containers(job!)[0]!).DATABASE_URL?.valueFrom?.secretKeyRef).toEqual({
        name: secretName,
        key: 'DATABASE_URL',
      });
    }
    // The chart's own Secret exists before the migration Job (both hooks) and holds only the values set.
    expect(secret(defaults)!.metadata.annotations).toMatchObject({
      'helm.sh/hook': 'pre-install,pre-upgrade',
      'helm.sh/hook-weight': '-10',
    });
    expect(secret(production)).toBeUndefined();
    const objects = await render(
      [],
      [
        '--set',
        'secret.databaseUrl=postgresql://h:p@db:5432/heddle,secret.redisUrl=redis://redis:6379',
        '--set',
        `secret.encryptionKey=${Buffer.alloc(32, 7).toString('base64')}`,
      ],
    );
    const { data } = secret(objects) as unknown as { data: Record<string, string> };
    expect(Object.keys(data).sort()).toEqual(['DATABASE_URL', 'HEDDLE_ENCRYPTION_KEY', 'REDIS_URL']);
    expect(Buffer.from(data.REDIS_URL!, 'base64').toString()).toBe('redis://redis:6379');
    // Pods restart when the Secret changes.
    const [api] = byComponent(objects, 'Deployment', 'api');
    expect(api!.spec.template.metadata.annotations['checksum/secret']).toMatch(/^[0-9a-f]{64}$/);
  });

  it('passes the OIDC settings and HEDDLE_PUBLIC_URL when set, and none by default', () => {
    const env = envOf(containers(byComponent(production, 'Deployment', 'api')[0]!)[0]!);
    expect(env.OIDC_ISSUER_URL?.value).toBe('https://keycloak.example.com/realms/heddle');
    expect(env.OIDC_CLIENT_ID?.value).toBe('heddle');
    expect(env.HEDDLE_PUBLIC_URL?.value).toBe('https://heddle.example.com');
    const defaultEnv = envOf(containers(byComponent(defaults, 'Deployment', 'api')[0]!)[0]!);
    expect(defaultEnv.OIDC_ISSUER_URL).toBeUndefined();
    expect(defaultEnv.HEDDLE_PUBLIC_URL).toBeUndefined();
  });

  it('runs the migration as a pre-install/pre-upgrade hook Job before the Deployments', () => {
    for (const objects of [defaults, production]) {
      const [job] = objects.filter((o) => o.kind === 'Job');
      expect(job!.metadata.annotations).toMatchObject({
        'helm.sh/hook': 'pre-install,pre-upgrade',
        'helm.sh/hook-weight': '0',
      });
      expect(job!.metadata.annotations!['helm.sh/hook-delete-policy']).toMatch(/before-hook-creation/);
      expect(podSpec(job!).restartPolicy).toBe('Never');
      expect(job!.spec.backoffLimit).toBeGreaterThanOrEqual(0);
      // The service account the Job runs under exists before it when the chart creates one.
      const account = objects.find((o) => o.kind === 'ServiceAccount');
      if (account) {
        expect(podSpec(job!).serviceAccountName).toBe(account.metadata.name);
        expect(Number(account.metadata.annotations!['helm.sh/hook-weight'])).toBeLessThan(0);
      }
    }
  });

  it('scales the harness apart from the fan-out: one worker Deployment per entry, together running every consumer', () => {
    const consumersOf = (o: K8sObject) => envOf(containers(o)[0]!).WORKER_CONSUMERS!.value!;
    const workers = byComponent(production, 'Deployment', 'worker');
    expect(Object.fromEntries(workers.map((w) => [w.metadata.name, consumersOf(w)]))).toEqual({
      'heddle-worker-harness': 'harness,host-health,maintenance',
      'heddle-worker-fanout': 'outbox,webhooks,notify',
    });
    const covered = new Set(workers.flatMap((w) => consumersOf(w).split(',')));
    // inbox is optional (off unless INBOX_DIR is set): the chart does not ask for it to be covered.
    expect([...covered].sort()).toEqual(WORKER_CONSUMER_NAMES.filter((n) => n !== 'inbox').sort());
    // Each Deployment selects only its own pods.
    const selectors = workers.map((w) => JSON.stringify(w.spec.selector.matchLabels));
    expect(new Set(selectors).size).toBe(workers.length);
    for (const w of workers) expect(w.spec.template.metadata.labels).toMatchObject(w.spec.selector.matchLabels);
    // The autoscaled one leaves replicas to its HPA; the other keeps its own.
    expect(workers.find((w) => w.metadata.name === 'heddle-worker-harness')!.spec.replicas).toBeUndefined();
    expect(workers.find((w) => w.metadata.name === 'heddle-worker-fanout')!.spec.replicas).toBe(2);
    expect(consumersOf(byComponent(defaults, 'Deployment', 'worker')[0]!)).toBe('all');
  });

  it('knows the same consumer names as the config schema, and refuses unknown or uncovered ones', async () => {
    const helpers = readFileSync(join(chartDir, 'templates/_helpers.tpl'), 'utf8');
    const listed = /define "heddle\.consumerNames" -\}\}\n(.+)\n/.exec(helpers)![1]!.split(',');
    expect(listed).toEqual([...WORKER_CONSUMER_NAMES]);
    const schema = JSON.parse(readFileSync(join(chartDir, 'values.schema.json'), 'utf8'));
    const pattern = new RegExp(schema.properties.workers.items.properties.consumers.pattern as string);
    for (const name of WORKER_CONSUMER_NAMES) expect({ name, ok: pattern.test(name) }).toEqual({ name, ok: true });
    expect(pattern.test(WORKER_CONSUMER_NAMES.join(', '))).toBe(true);
    expect(pattern.test('all')).toBe(true);
    expect(pattern.test('harness,nope')).toBe(false);

    const attempt = (set: string) => runHelm(REPO_ROOT, ['template', 'heddle', CHART, '--set-json', set]);
    const unknown = await attempt('workers=[{"name":"a","consumers":"harness,nope"}]');
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/consumers/);
    const uncovered = await attempt('workers=[{"name":"a","consumers":"harness,outbox"}]');
    expect(uncovered.code).not.toBe(0);
    expect(uncovered.stderr).toMatch(/no worker runs maintenance, host-health, webhooks, notify/);
    const allowed = await runHelm(REPO_ROOT, [
      'template',
      'heddle',
      CHART,
      '--set-json',
      'workers=[{"name":"a","consumers":"harness,outbox"}]',
      '--set',
      'allowUncoveredConsumers=true',
    ]);
    expect(allowed.code).toBe(0);
    const secretInEnv = await attempt('env={"DATABASE_URL":"postgresql://x"}');
    expect(secretInEnv.code).not.toBe(0);
  });

  it('mounts the watched inbox on the workers that run the inbox consumer, and only when asked', async () => {
    const mounted = (o: K8sObject) => containers(o)[0]!.volumeMounts?.some((m) => m.name === 'inbox') ?? false;
    for (const w of workloads([...defaults, ...production]))
      expect({ w: w.metadata.name, inbox: mounted(w) }).toEqual({
        w: w.metadata.name,
        inbox: false,
      });
    const objects = await render(
      [],
      [
        '--set-json',
        'workers=[{"name":"core","consumers":"all"},{"name":"docs","consumers":"inbox, notify"},{"name":"run","consumers":"harness"}]',
        '--set',
        'inbox.enabled=true,inbox.existingClaim=heddle-inbox,inbox.pollMs=500',
      ],
    );
    const workers = Object.fromEntries(byComponent(objects, 'Deployment', 'worker').map((w) => [w.metadata.name, w]));
    for (const name of ['heddle-worker-core', 'heddle-worker-docs']) {
      const w = workers[name]!;
      expect(podSpec(w).volumes).toContainEqual({
        name: 'inbox',
        persistentVolumeClaim: { claimName: 'heddle-inbox' },
      });
      expect(containers(w)[0]!.volumeMounts).toContainEqual({ name: 'inbox', mountPath: '/var/lib/heddle/inbox' });
      const env = envOf(containers(w)[0]!);
      expect([env.INBOX_DIR?.value, env.INBOX_POLL_MS?.value, env.INBOX_STATUS_FILES?.value]).toEqual([
        '/var/lib/heddle/inbox',
        '500',
        'true',
      ]);
    }
    expect(mounted(workers['heddle-worker-run']!)).toBe(false);
    expect(envOf(containers(workers['heddle-worker-run']!)[0]!).INBOX_DIR).toBeUndefined();
    for (const api of byComponent(objects, 'Deployment', 'api')) expect(mounted(api)).toBe(false);

    const noClaim = await runHelm(REPO_ROOT, ['template', 'heddle', CHART, '--set', 'inbox.enabled=true']);
    expect(noClaim.code).not.toBe(0);
    expect(noClaim.stderr).toMatch(/inbox\.enabled needs inbox\.existingClaim/);
  });

  it('tags the image with the app version and prints NOTES that warn about missing secrets', async () => {
    const chart = parse(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8')) as { appVersion: string };
    const { version } = JSON.parse(readRepoFile('package.json')) as { version: string };
    expect(chart.appVersion).toBe(version);
    expect(containers(byComponent(defaults, 'Deployment', 'api')[0]!)[0]).toMatchObject({ image: `heddle:${version}` });

    const notes = async (args: string[]) =>
      (await helm(['install', 'heddle', CHART, '--dry-run=client', ...args])).split(/^NOTES:$/m)[1] ?? '';
    const bare = await notes([]);
    for (const name of ['DATABASE_URL', 'REDIS_URL', 'HEDDLE_ENCRYPTION_KEY'])
      expect(bare).toMatch(new RegExp(`WARNING: secret\\.\\w+ \\(${name}\\) is empty`));
    const ready = await notes(['-f', PRODUCTION_VALUES]);
    expect(ready).not.toMatch(/WARNING/);
    expect(ready).toMatch(/heddle-worker-harness runs harness,host-health,maintenance/);
    expect(ready).toMatch(/https:\/\/heddle\.example\.com\/docs/);
  });

  it('autoscales and protects the api and each worker, and exposes them to Prometheus and an Ingress', () => {
    const hpas = production.filter((o) => o.kind === 'HorizontalPodAutoscaler');
    const pdbs = production.filter((o) => o.kind === 'PodDisruptionBudget');
    const deployments = production.filter((o) => o.kind === 'Deployment');
    for (const hpa of hpas) {
      const target = deployments.find((d) => d.metadata.name === hpa.spec.scaleTargetRef.name);
      expect({ hpa: hpa.metadata.name, target: target?.kind }).toEqual({
        hpa: hpa.metadata.name,
        target: 'Deployment',
      });
      expect(target!.spec.replicas).toBeUndefined();
    }
    for (const deployment of deployments) {
      const pdb = pdbs.filter(
        (p) => JSON.stringify(p.spec.selector.matchLabels) === JSON.stringify(deployment.spec.selector.matchLabels),
      );
      expect({ deployment: deployment.metadata.name, pdbs: pdb.length }).toEqual({
        deployment: deployment.metadata.name,
        pdbs: 1,
      });
    }
    const ingress = production.find((o) => o.kind === 'Ingress')!;
    const backend = ingress.spec.rules[0].http.paths[0].backend.service;
    expect(backend).toEqual({ name: 'heddle', port: { name: 'http' } });

    const monitor = production.find((o) => o.kind === 'ServiceMonitor')!;
    expect(monitor.spec.endpoints.map((e: { port: string; path: string }) => `${e.port}${e.path}`)).toEqual([
      'http/metrics',
      'health/metrics',
    ]);
    expect(monitor.spec.endpoints[0].authorization.credentials).toEqual({
      name: 'heddle-secrets',
      key: 'METRICS_TOKEN',
    });
    const workersService = production.find((o) => o.metadata.name === 'heddle-workers')!;
    expect(workersService.spec.clusterIP).toBe('None');
    expect(workersService.spec.ports[0].targetPort).toBe('health');
  });
});
