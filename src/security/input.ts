import path from 'node:path';

/**
 * Public AWS regions (plus GovCloud and China) that ECS runs in. A well-formed but unknown
 * code is almost always a typo (us-east-3), and would otherwise fail later with an opaque
 * endpoint error after some resources were already created in another region's mind.
 */
export const KNOWN_REGIONS = [
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'af-south-1',
  'ap-east-1',
  'ap-east-2',
  'ap-south-1',
  'ap-south-2',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ap-southeast-4',
  'ap-southeast-5',
  'ap-southeast-6',
  'ap-southeast-7',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ca-central-1',
  'ca-west-1',
  'eu-central-1',
  'eu-central-2',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'eu-south-1',
  'eu-south-2',
  'eu-north-1',
  'il-central-1',
  'me-south-1',
  'me-central-1',
  'mx-central-1',
  'sa-east-1',
  'us-gov-east-1',
  'us-gov-west-1',
  'cn-north-1',
  'cn-northwest-1',
] as const;

/** undefined when the region is known; otherwise what is wrong and what to use. */
export function regionProblem(region: string): string | undefined {
  if ((KNOWN_REGIONS as readonly string[]).includes(region)) return undefined;
  const suggestion = closest(region, KNOWN_REGIONS);
  return `"${region}" is not an AWS region ecs-kit knows${suggestion ? `; did you mean ${suggestion}?` : '; use a code such as us-east-1 or eu-west-1'}`;
}

/** Config files are YAML or JSON; anything else (a key file, /etc/passwd) is refused before it is read. */
export function configExtensionProblem(file: string): string | undefined {
  const ext = path.extname(file).toLowerCase();
  return ['.yml', '.yaml', '.json'].includes(ext) ? undefined : `"${file}" is not a .yml, .yaml or .json file`;
}

/**
 * A Dockerfile path must stay inside its build context: docker sends only the context to
 * the builder, so an escaping path either fails late or reads a file it should not.
 */
export function dockerfileProblem(dockerfile: string): string | undefined {
  if (dockerfile.includes('\0')) return 'contains a NUL character';
  if (path.isAbsolute(dockerfile) || /^[A-Za-z]:[\\/]/.test(dockerfile))
    return `"${dockerfile}" is absolute; give a path relative to build.context, e.g. Dockerfile or docker/Dockerfile`;
  const normal = path.posix.normalize(dockerfile.replace(/\\/g, '/'));
  if (normal === '..' || normal.startsWith('../'))
    return `"${dockerfile}" is outside the build context; move the Dockerfile into build.context or widen build.context`;
  return undefined;
}

export function contextProblem(context: string): string | undefined {
  if (context.includes('\0')) return 'contains a NUL character';
  return undefined;
}

/** Nearest candidate by edit distance (≤ 2): enough for us-est-1 → us-east-1. */
function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  for (const c of candidates) {
    const dp = Array.from({ length: c.length + 1 }, (_, j) => j);
    for (let i = 1; i <= word.length; i++) {
      let prev = dp[0]!;
      dp[0] = i;
      for (let j = 1; j <= c.length; j++) {
        const tmp = dp[j]!;
        dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (word[i - 1] === c[j - 1] ? 0 : 1));
        prev = tmp;
      }
    }
    if (dp[c.length]! < bestD) {
      bestD = dp[c.length]!;
      best = c;
    }
  }
  return best;
}
