import { ciRoleName } from '../ci-role/plan.js';
import { VERSION } from '../../../version.js';

const version = VERSION;

export interface WorkflowInput {
  app: string;
  env: string;
  region: string;
  /** The branch whose pushes deploy (the one ci-role trusts). */
  branch: string;
  /** A service builds its image from a Dockerfile: the runner needs docker with buildx. */
  builds: boolean;
  /** The config's path relative to the repository root, when it is not ecs-kit.yml. */
  configPath?: string;
}

/** The role `ecs-kit ci-role` creates, with the account left to the repository variable AWS_ACCOUNT_ID. */
export function workflowRoleArn(app: string, env: string): string {
  return `arn:aws:iam::\${{ vars.AWS_ACCOUNT_ID }}:role/ecs-kit-ci/${ciRoleName(app, env)}`;
}

/**
 * `.github/workflows/deploy.yml` for `ecs-kit init --ci github`: pull requests get `plan --detailed-exitcode`, pushes to
 * the branch deploy, one deploy per environment at a time. Credentials come from GitHub's OIDC token through
 * aws-actions/configure-aws-credentials (no stored keys); the state is the shared S3 state of the config.
 */
export function renderGithubWorkflow(w: WorkflowInput): string {
  const flags = `--env ${w.env}${w.configPath ? ` --config ${w.configPath}` : ''}`;
  const cli = `npx --yes ecs-kit@${version}`;
  const setup = [
    '      - uses: actions/checkout@v4',
    '      - uses: actions/setup-node@v4',
    '        with:',
    '          node-version: 22',
    '      - uses: aws-actions/configure-aws-credentials@v4',
    '        with:',
    `          role-to-assume: ${workflowRoleArn(w.app, w.env)}`,
    '          aws-region: ${{ env.AWS_REGION }}',
    ...(w.builds
      ? [
          '      # ecs-kit builds and pushes the image itself (docker build, docker push to ECR) before it changes anything.',
          '      - uses: docker/setup-buildx-action@v3',
        ]
      : []),
  ];
  return [
    `# Written by ecs-kit init --ci github (ecs-kit ${version}).`,
    '# Once, with administrator credentials:',
    `#   npx ecs-kit state init --bucket <bucket>     # shared state: CI runners start empty (add state: to ecs-kit.yml)`,
    `#   npx ecs-kit ci-role --github <owner/repo> --branch ${w.branch} --env ${w.env}`,
    '#   (add --pull-requests so the plan job of pull requests may assume the role too; those runs get the same permissions)',
    '# then set the repository variable AWS_ACCOUNT_ID (Settings → Secrets and variables → Actions → Variables).',
    'name: deploy',
    '',
    'on:',
    '  push:',
    `    branches: [${w.branch}]`,
    '  pull_request:',
    '',
    'permissions:',
    '  id-token: write # GitHub issues the OIDC token that AWS trades for the role',
    '  contents: read',
    '',
    'env:',
    `  AWS_REGION: ${w.region}`,
    '',
    'jobs:',
    '  plan:',
    "    if: github.event_name == 'pull_request'",
    '    runs-on: ubuntu-latest',
    '    steps:',
    ...setup,
    '      - name: ecs-kit plan',
    '        run: |',
    '          code=0',
    `          ${cli} plan ${flags} --detailed-exitcode || code=$?`,
    '          if [ "$code" = 3 ]; then echo "Changes pending: merging deploys them."; elif [ "$code" != 0 ]; then exit "$code"; fi',
    '',
    '  deploy:',
    "    if: github.event_name == 'push'",
    '    runs-on: ubuntu-latest',
    '    # One deploy of this environment at a time; a queued one waits instead of cancelling a deploy half-way.',
    '    concurrency:',
    `      group: ecs-kit-${w.app}-${w.env}`,
    '      cancel-in-progress: false',
    '    steps:',
    ...setup,
    '      - name: ecs-kit deploy',
    `        run: ${cli} deploy ${flags} --yes --json`,
    '',
  ].join('\n');
}
