#!/usr/bin/env node
// A stand-in for `docker` in e2e tests. Appends argv (one JSON array per line) to $DOCKER_STUB_LOG;
// `login` reads and discards stdin and records only WHETHER a password arrived ($DOCKER_STUB_LOG.login);
// `push` emulates a registry push by calling ECR PutImage on moto ($DOCKER_STUB_ECR_ENDPOINT).
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';

const argv = process.argv.slice(2);
const log = process.env.DOCKER_STUB_LOG;
if (log) appendFileSync(log, JSON.stringify(argv) + '\n');
const imagesFile = log ? `${log}.images.json` : undefined;

const images = () => (imagesFile && existsSync(imagesFile) ? JSON.parse(readFileSync(imagesFile, 'utf8')) : {});
const saveImage = (ref, id) => imagesFile && writeFileSync(imagesFile, JSON.stringify({ ...images(), [ref]: id }));
const flag = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const fail = (msg, code = 1) => {
  process.stderr.write(`docker-stub: ${msg}\n`);
  process.exit(code);
};
const readStdin = () => {
  try {
    return readFileSync(0, 'utf8');
  } catch {
    return ''; // stdin closed or a TTY
  }
};

// What docker 28 prints when its daemon is not running ($DOCKER_STUB_NO_DAEMON=1): every command that needs the
// daemon fails with this line, and `build` first prints the legacy builder's deprecation notice.
const NO_DAEMON = 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?';
const DEPRECATED = [
  'DEPRECATED: The legacy builder is deprecated and will be removed in a future release.',
  '            Install the buildx component to build images with BuildKit:',
  '            https://docs.docker.com/go/buildx/',
  '',
].join('\n');

async function main() {
  const [cmd, sub] = argv;
  if (process.env.DOCKER_STUB_NO_DAEMON) {
    if (cmd === 'build') process.stderr.write(`${DEPRECATED}\n`);
    process.stderr.write(`${NO_DAEMON}\n`);
    process.exit(1);
  }
  if (cmd === 'version') {
    process.stdout.write('28.2.2\n');
    return;
  }
  if (cmd === 'build') {
    const tag = flag('--tag') ?? flag('-t');
    const context = argv[argv.length - 1];
    const file = flag('--file') ?? flag('-f') ?? 'Dockerfile';
    const candidates = [path.resolve(file), path.resolve(context, file)];
    const dockerfile = candidates.find((p) => existsSync(p));
    if (!dockerfile) fail(`failed to read dockerfile: open ${file}: no such file or directory`);
    const id = process.env.DOCKER_STUB_IMAGE_ID ?? `sha256:${createHash('sha256').update(readFileSync(dockerfile)).digest('hex')}`;
    if (tag) saveImage(tag, id);
    process.stdout.write(`Successfully built ${id.slice(7, 19)}\n`);
    return;
  }
  if (cmd === 'image' && sub === 'inspect') {
    const ref = argv[argv.length - 1];
    const id = process.env.DOCKER_STUB_IMAGE_ID ?? images()[ref];
    if (!id) fail(`Error: No such image: ${ref}`);
    process.stdout.write(`${id}\n`);
    return;
  }
  if (cmd === 'tag') {
    const [, source, target] = argv;
    const id = images()[source] ?? process.env.DOCKER_STUB_IMAGE_ID;
    if (!id) fail(`Error response from daemon: No such image: ${source}`);
    saveImage(target, id);
    return;
  }
  if (cmd === 'login') {
    const viaStdin = argv.includes('--password-stdin');
    const received = viaStdin ? readStdin().length > 0 : false;
    const registry = argv.filter((a, i) => !a.startsWith('-') && i > 0 && !['--username', '-u'].includes(argv[i - 1])).pop();
    if (log)
      appendFileSync(
        `${log}.login`,
        JSON.stringify({ registry, username: flag('--username') ?? flag('-u'), passwordOnStdin: received }) + '\n',
      );
    process.stdout.write('Login Succeeded\n');
    return;
  }
  if (cmd === 'push') {
    await push(argv[1]);
    return;
  }
  if (cmd === 'version' || cmd === '--version') {
    process.stdout.write('Docker version 99.0.0-stub\n');
    return;
  }
  fail(`unsupported command: ${argv.join(' ')}`);
}

async function push(ref) {
  if (!ref) fail('push needs an image reference');
  const slash = ref.indexOf('/');
  const colon = ref.lastIndexOf(':');
  if (slash < 0 || colon < slash) fail(`push: expected <registry>/<repository>:<tag>, got ${ref}`);
  const registry = ref.slice(0, slash);
  const repositoryName = ref.slice(slash + 1, colon);
  const imageTag = ref.slice(colon + 1);
  const id = images()[ref] ?? process.env.DOCKER_STUB_IMAGE_ID;
  if (!id) fail(`An image does not exist locally with the tag: ${ref}`);
  const endpoint = process.env.DOCKER_STUB_ECR_ENDPOINT;
  if (!endpoint) fail('DOCKER_STUB_ECR_ENDPOINT is not set');
  const region = /\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com/.exec(registry)?.[1] ?? process.env.AWS_REGION ?? 'us-east-1';
  // The image id doubles as the only layer digest: moto derives imageDigest from layer digests.
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: 1024, digest: id },
    layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: 2048, digest: id }],
  };
  const ecr = new ECRClient({ endpoint, region, maxAttempts: 1, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  try {
    await ecr.send(new PutImageCommand({ repositoryName, imageTag, imageManifest: JSON.stringify(manifest) }));
  } catch (err) {
    // Re-pushing an identical image is a no-op for docker.
    if (err?.name !== 'ImageAlreadyExistsException') fail(`push failed: ${err?.name}: ${err?.message}`);
  }
  process.stdout.write(`${imageTag}: digest: ${id} size: 2048\n`);
}

main().catch((err) => fail(String(err?.stack ?? err)));
