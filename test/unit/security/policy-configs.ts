/**
 * Configs the deployer-policy tests run through: the shapes that switch statements on or off (public services,
 * builds, autoscaling, EC2 capacity, secrets and KMS keys, an image in this account's ECR, HTTPS, your own VPC)
 * and a partition other than aws. `deployer-policy-before.json` holds what the hand-written deployerPolicy()
 * returned for each of them before the steps declared their own permissions (frozen: that function is gone).
 */
export interface PolicyCase {
  name: string;
  env: string;
  region: string;
  account: string;
  yaml: string;
}

const ACCOUNT = '111122223333';

export const POLICY_CASES: PolicyCase[] = [
  {
    // What `init --yes` writes for one public service.
    name: 'typical',
    env: 'default',
    region: 'us-east-1',
    account: ACCOUNT,
    yaml: `app: shop
services:
  web:
    image: nginx:1.27
    port: 80
    autoscaling: { min: 1, max: 3 }
`,
  },
  {
    name: 'worker only (no load balancer, no scaling)',
    env: 'prod',
    region: 'eu-west-1',
    account: ACCOUNT,
    yaml: `app: jobs
services:
  worker: { image: busybox, command: [sleep, '3600'] }
`,
  },
  {
    name: 'build, secrets and managed policies',
    env: 'prod',
    region: 'eu-west-1',
    account: ACCOUNT,
    yaml: `app: shop
services:
  web:
    build: { context: ., dockerfile: Dockerfile }
    port: 80
    autoscaling: { min: 1, max: 3 }
    secrets: { API: "secretsmanager:shop/api", DB: "ssm:/shop/db" }
    taskRole:
      managedPolicies: [arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess]
  worker:
    image: busybox
`,
  },
  {
    name: 'EC2 capacity in your own VPC',
    env: 'staging',
    region: 'us-west-2',
    account: ACCOUNT,
    yaml: `app: ecs-demo
network: { vpcId: vpc-0abc1234, publicSubnetIds: [subnet-0aaa1111, subnet-0bbb2222], privateSubnetIds: [subnet-0ccc3333, subnet-0ddd4444] }
services:
  web: { image: nginx:1.27, port: 80, capacity: ec2 }
  api: { image: nginx:1.27, port: 8080, path: /api, capacity: ec2, networkMode: bridge }
`,
  },
  {
    name: 'another partition (aws-cn)',
    env: 'default',
    region: 'cn-north-1',
    account: ACCOUNT,
    yaml: `app: shop
services:
  web:
    image: ${ACCOUNT}.dkr.ecr.cn-north-1.amazonaws.com.cn/shop/web:1
    port: 80
    secrets: { TOKEN: "ssm:/ecs-kit/shop/default/TOKEN" }
`,
  },
  {
    // The large shape: 5 services, production network, EC2 capacity, secrets in both stores with a KMS key, HTTPS.
    name: 'large',
    env: 'production',
    region: 'eu-central-1',
    account: ACCOUNT,
    yaml: `app: storefront
network: { profile: production, nat: per-az, azs: 3 }
loadBalancer: { certificateArn: "arn:aws:acm:eu-central-1:${ACCOUNT}:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0" }
ec2: { instanceType: t3.medium, min: 1, max: 4, desired: 2 }
services:
  web:
    build: { context: ./web }
    port: 3000
    desiredCount: 2
    autoscaling: { min: 2, max: 10 }
    secrets:
      SESSION_KEY: "ssm:/ecs-kit/storefront/production/SESSION_KEY"
      STRIPE_KEY: "secretsmanager:storefront/stripe:key"
    kmsKeyArn: "arn:aws:kms:eu-central-1:${ACCOUNT}:key/11112222-3333-4444-5555-666677778888"
  api:
    image: ${ACCOUNT}.dkr.ecr.eu-central-1.amazonaws.com/storefront/api:2.3.1
    port: 8080
    path: /api
    desiredCount: 2
    autoscaling: { min: 2, max: 20, targetCpu: 50 }
    secrets:
      DATABASE_URL: "arn:aws:secretsmanager:eu-central-1:${ACCOUNT}:secret:storefront/db-AbCdEf"
      PARTNER_TOKEN: "arn:aws:secretsmanager:eu-central-1:444455556666:secret:partner/token"
    taskRole:
      managedPolicies: [arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess]
  admin:
    build: { context: ./admin }
    port: 8081
    path: /admin
    capacity: fargate-spot
    deployment: { strategy: canary, canary: { percent: 10, bakeMinutes: 5 } }
  worker:
    image: ${ACCOUNT}.dkr.ecr.eu-central-1.amazonaws.com/storefront/worker:2.3.1
    capacity: ec2
    taskRole:
      managedPolicies: [arn:aws:iam::aws:policy/AmazonSQSFullAccess]
  scheduler:
    image: busybox
    capacity: ec2
    networkMode: bridge
`,
  },
];

/**
 * Every kind of workload (issue 11): a public service with sidecars and request scaling, an internal service, a queue
 * worker scaled on its backlog, a scheduled job. Not frozen in fixtures/ (the hand-written policy predates them): the
 * step-permission and coverage tests use it so every step has an instance.
 */
export const WORKLOADS_CASE: PolicyCase = {
  name: 'workloads',
  env: 'prod',
  region: 'eu-west-1',
  account: ACCOUNT,
  yaml: `app: shop
services:
  web:
    image: nginx:1.27
    port: 80
    sidecars: { otel: { image: otel/collector:1 } }
    autoscaling: { min: 1, max: 4, targetCpu: 60, targetMemory: 70, requestsPerTarget: 500 }
  api: { image: api:1, port: 8080, internal: true }
  jobs:
    image: jobs:1
    queue: { visibilityTimeout: 60, maxReceives: 5 }
    autoscaling: { min: 0, max: 10, backlogPerTask: 100 }
  nightly: { image: nightly:1, schedule: "cron(0 3 * * ? *)", timezone: Europe/Berlin }
`,
};
