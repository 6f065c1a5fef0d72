#!/usr/bin/env node
// The image's HEALTHCHECK (Dockerfile), for the API and the worker alike: healthy when
// GET /healthz answers 2xx on the API's PORT or on the worker's WORKER_HEALTH_PORT (whichever this
// container serves; the other is not listening and is refused at once). Plain Node, no dependencies.
// Kubernetes ignores HEALTHCHECK: the Helm chart probes /healthz and /readyz itself.
const ports = [process.env.PORT || '8080', process.env.WORKER_HEALTH_PORT || '8081'];
const probe = async (port) => {
  const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(4000) });
  if (!res.ok) throw new Error(`/healthz on :${port} answered ${res.status}`);
};
Promise.any(ports.map(probe)).then(
  () => process.exit(0),
  () => process.exit(1),
);
