/**
 * Every code ecs-kit puts on an error, a warning (`warn` event) or a notice (`info` event), with what it means for the
 * person who sees it (the shape of the CDK toolkit's message registry). Codes are stable: `--json` consumers and tests
 * match them instead of the English text, which may be reworded. The types accept no other code, so a new message gets
 * its entry here first; several sentences that mean the same thing share one code. README "Message codes" lists them
 * all, and unit tests keep the two in step and check that each code here is used in `src/`.
 */

/** Whose move it is when an error happens: yours (config, flags, files, account, app), AWS's, or ecs-kit's (a bug). */
export type Fault = 'user' | 'aws' | 'ecs-kit';

interface ErrorCodeInfo {
  fault: Fault;
  /** One line: what it means for the user. */
  description: string;
}

const user = (description: string) => ({ fault: 'user', description }) as const;
const aws = (description: string) => ({ fault: 'aws', description }) as const;
const bug = (description: string) => ({ fault: 'ecs-kit', description }) as const;

export const ERROR_CODES = {
  // Command line, config and local files
  usage: user('A flag or argument is not valid; nothing was changed.'),
  'usage.service': user('The service named on the command line is not in the config, or a service name is needed.'),
  'usage.scale': user('The scale flags do not fit together or do not fit the autoscaling range.'),
  'config.invalid': user('The config file has errors; each names the field path.'),
  'config.missing': user('There is no config file at the path (or it is a directory).'),
  'config.extension': user('--config names a file that is not .yml, .yaml or .json.'),
  'config.certificate-region': user('loadBalancer.certificateArn is in another region or account than the deploy.'),
  'confirm.required': user('The command needs a confirmation and this session cannot prompt; pass the flag it names.'),
  aborted: user('Ctrl-C or a declined confirmation; nothing more was changed.'),
  'init.exists': user('init would overwrite an existing file (or the path is a directory); pass --force or another --config.'),
  'init.invalid': user('Values given to init are not valid, so no config was written.'),
  'init.source': user('init does not know which container to run: pass --image or --dockerfile.'),
  'import.copilot': user('import copilot found no Copilot workspace (copilot/.workspace) or a manifest that is not YAML.'),
  'import.exists': user('import would overwrite an existing file; pass --force or another --config.'),
  'import.invalid': user('The config imported from Copilot would not be valid; nothing was written.'),
  'init.env-flag': user('init was given --env KEY=VALUE: --env names the environment; -e / --env-var sets a container variable.'),
  'image.context': user('A service build context is not a directory.'),
  'image.dockerfile': user('A service Dockerfile is missing or outside its build context.'),
  'secret.name': user('The secret name is not a valid environment variable name, or is reserved.'),
  'secret.service': user('secret set names a service that is not in the config.'),
  'secret.conflict': user('The variable is already a plain environment variable or points at another secret.'),
  'secret.value': user('The secret value is missing, empty or too large for an SSM parameter.'),
  'secret.reference': user('A secret reference in the config is not valid.'),
  'secret.missing': user('A referenced SSM parameter or Secrets Manager secret does not exist; nothing was changed.'),

  // AWS: credentials, permissions, limits, connectivity
  'aws.region': user('No AWS region is set.'),
  'aws.region-unknown': user('The region (from --region, the config, AWS_REGION or the profile) is not an AWS region; nothing was called.'),
  'aws.profile': user('The AWS profile named by --profile or AWS_PROFILE is not in the AWS config or credentials files.'),
  'aws.endpoint': user('--endpoint-url (or AWS_ENDPOINT_URL) is not an http(s) URL, or says https where the endpoint speaks plain http.'),
  'aws.credentials': user('No AWS credentials were found, or they were rejected or expired.'),
  'aws.access-denied': user('Your AWS identity is not allowed to make a call ecs-kit needs.'),
  'aws.quota': user('An AWS service quota was reached.'),
  'aws.unreachable': user('The AWS endpoint could not be reached (network, proxy or --endpoint-url).'),
  'aws.throttled': aws('AWS kept throttling requests after retries; run again, it resumes.'),
  'aws.server': aws('The AWS endpoint returned an unexpected response; usually temporary.'),
  'aws.not-released': aws('EC2 still holds a resource for something just deleted; run again in a minute.'),
  'aws.wait-timeout': aws('AWS had not finished creating or deleting something when the wait ended; run again, it resumes.'),
  'aws.error': aws('Any other AWS error, with its name and message.'),

  // Manifest and lock
  'manifest.corrupt': user('The manifest is not valid JSON (damaged or edited by hand).'),
  'manifest.version': user('The manifest was written by a newer ecs-kit; upgrade.'),
  'manifest.identity': user('The manifest belongs to another account or region than the credentials.'),
  'manifest.app': user('The manifest belongs to another app name than the config says.'),
  'manifest.unknown-step': user('The manifest records a step this version of ecs-kit does not know; upgrade.'),
  'manifest.read-only': bug('A read-only command tried to write the manifest (a bug).'),
  'lock.held': user('Another ecs-kit run holds the lock of this environment.'),

  // Shared state (S3) and CI
  'state.no-bucket': user('The S3 state bucket does not exist; create it with ecs-kit state init.'),
  'state.versioning': user('The S3 state bucket does not have versioning on, which ecs-kit requires.'),
  'state.conflict': user('Someone else wrote the shared state since this run read it; nothing was overwritten. Run again.'),
  'state.bucket-not-owned': user('The state bucket exists but belongs to another account, or ecs-kit may not use it.'),
  'state.exists': user('state migrate found state at the destination already; nothing was overwritten.'),
  'state.no-local': user('state migrate found no local manifest to move.'),
  'state.newer-remote': user('state push refused: the shared state is newer than the file (pass --force to overwrite it).'),
  'state.mismatch': user('The manifest file belongs to another app or environment than the command.'),
  'ci-role.audience': user('The GitHub OIDC provider in the account does not accept the sts.amazonaws.com audience.'),
  'ci-role.not-owned': user("An IAM role or policy with the CI role's name exists that ecs-kit did not create for this app/env."),

  // Resources that exist under ecs-kit's names but were not created by it for this app/env
  'cluster.not-owned': user('An ECS cluster of that name exists that ecs-kit did not create for this app/env.'),
  'ecr.not-owned': user('An ECR repository of that name exists that ecs-kit did not create for this app/env.'),
  'logs.not-owned': user('A CloudWatch log group of that name exists that ecs-kit did not create for this app/env.'),
  'role.not-owned': user('An IAM role of that name exists that ecs-kit did not create for this app/env.'),
  'service.not-owned': user('An ECS service of that name exists that ecs-kit did not create for this app/env.'),
  'task-definition.not-owned': user('A task definition family of that name exists that ecs-kit did not create for this app/env.'),
  'secret.not-owned': user('secret set would overwrite an SSM parameter ecs-kit did not create.'),
  'security-group.not-owned': user('A service security group of that name exists that ecs-kit did not create for this app/env.'),
  'load-balancer.not-owned': user('A load balancer of that name exists that ecs-kit did not create for this app/env.'),
  'load-balancer.sg-not-owned': user('A load balancer security group of that name exists that ecs-kit did not create for this app/env.'),
  'target-group.not-owned': user('A target group of that name exists that ecs-kit did not create for this app/env.'),
  'target-group.test-port-taken': user(
    'The load balancer already has a listener on a testPort that ecs-kit did not create for this service.',
  ),
  'capacity.role-not-owned': user('An EC2 instance role of that name exists that ecs-kit did not create for this app/env.'),
  'capacity.profile-not-owned': user('An instance profile of that name exists that ecs-kit did not create for this app/env.'),
  'capacity.sg-not-owned': user('An instance security group of that name exists that ecs-kit did not create for this app/env.'),
  'capacity.lt-not-owned': user('A launch template of that name exists that ecs-kit did not create for this app/env.'),
  'capacity.asg-not-owned': user('An Auto Scaling group of that name exists that ecs-kit did not create for this app/env.'),
  'capacity.cp-not-owned': user('An ECS capacity provider of that name exists that ecs-kit did not create for this app/env.'),
  'queue.not-owned': user('An SQS queue of that name exists that ecs-kit did not create for this app/env.'),
  'schedule.not-owned': user(
    'An EventBridge Scheduler schedule or schedule group of that name exists that ecs-kit did not create for this app/env.',
  ),
  'namespace.not-owned': user('A Cloud Map namespace of that name exists that ecs-kit did not create for this app/env.'),
  'alarm.not-owned': user('A CloudWatch alarm of that name exists that ecs-kit did not create for this app/env.'),

  // Network
  'network.cidr': user('network.cidr is not an IPv4 block ecs-kit can lay subnets out in (/16 to /24).'),
  'network.cidr-change': user('The config asks for another CIDR block than the deployed VPC has; a VPC cannot change it.'),
  'network.profile-change': user('The config asks for another network shape than the deployed one, which ecs-kit does not replace.'),
  'network.azs': user('network.azs is out of range, or the region has too few usable availability zones.'),
  'network.zoneIds': user('network.zoneIds names a zone that is not available, or where Fargate does not run.'),
  'network.vpc-not-found': user('network.vpcId does not exist in this account and region.'),
  'network.subnets': user('The subnets in network.publicSubnetIds/privateSubnetIds do not fit the VPC.'),
  'network.nat-failed': aws('A NAT gateway could not be created; the error says why.'),
  'network.eip-not-released': aws('AWS has not released the Elastic IP of a deleted NAT gateway yet; run again in a minute.'),

  // EC2 capacity
  'capacity.unknown-instance-type': user('ec2.instanceType is not offered in this region.'),
  'capacity.unsupported-instance-type': user('ec2.instanceType is neither x86_64 nor arm64.'),
  'capacity.architecture-mismatch': user('The instance type and the services running on it have different CPU architectures.'),
  'capacity.ami-not-found': user('ec2.ami is not an AMI this account can launch in this region.'),
  'capacity.ami-architecture': user('ec2.ami is built for another CPU architecture than the instance type.'),
  'capacity.no-ami': aws('The ECS-optimized AMI id could not be read from its public parameter; set ec2.ami.'),
  'capacity.asg-deleting': aws('The Auto Scaling group of an earlier teardown is still being deleted; deploy again later.'),
  'capacity.cp-stale': user('The capacity provider points at an Auto Scaling group deleted outside ecs-kit.'),
  'capacity.cp-delete-failed': user('ECS could not delete the capacity provider (usually still in use).'),
  'capacity.delete-timeout': aws('EC2 capacity was still being deleted when the wait ended; run the teardown again.'),

  // Images, services, target groups
  'docker.missing': user('The docker command could not be run (not installed or not on PATH).'),
  'docker.daemon': user('The docker command works but cannot reach its daemon (Docker is not running); nothing was changed.'),
  'docker.failed': user('A docker build, tag, login or push failed; its last output lines say why.'),
  'image.auth': aws('ECR returned no usable registry login.'),
  'task-definition.register': aws('ECS registered a task definition but returned none.'),
  'service.draining': aws('A service of that name from an earlier teardown is still draining; deploy again later.'),
  'service.launch-type': user('ECS will not move a FARGATE launch-type service to a capacity provider strategy in place.'),
  'service.delete-timeout': aws('The service was still stopping its tasks when the wait ended; run the teardown again.'),
  'target-group.in-use': aws('A target group is still in use and could not be deleted.'),
  'namespace.operation': aws('Cloud Map did not finish creating or deleting the Service Connect namespace; run again, it resumes.'),

  // Rollouts
  'rollout.failed': user('The new revision did not roll out and was left in place (--no-rollback); the diagnosis says why.'),
  'rollout.rolled-back': user('The new revision did not roll out and the service was put back on the previous one.'),
  'rollout.timeout': user('The rollout did not finish within --timeout; ECS keeps rolling out in the background.'),
  'rollout.service-missing': user('The service was deleted while ecs-kit waited for its rollout.'),
  'rollout.stopped': user('The service deployment was stopped (by someone, or by ECS) before it completed.'),
  'rollout.unhealthy': user('Nothing changed, but the last rollout of the service failed: a re-run does not call that success.'),
  'continue.nothing-paused': user('continue found no service deployment waiting at a pause hook.'),
  'abort.nothing-in-flight': user('abort found no service deployment in progress to roll back.'),
  'usage.wait-until': user('--wait-until names a stage, or a service, that has no such stage (rolling deployments have none).'),

  // Day-2 commands
  'run-task.no-service': user('run-task names a service that is not deployed.'),
  'run-task.no-job': user('run-task names a scheduled job whose schedule is not deployed.'),
  'run-task.no-network': user('The service has no awsvpc network configuration to run the task in.'),
  'run-task.no-container': user("The service's task definition has no container."),
  'run-task.failed-to-start': aws('ECS did not start the one-off task; the error gives its reason.'),
  'run-task.timeout': user('The one-off task did not stop within --timeout; it keeps running.'),
  'run-task.missing': aws('ECS no longer describes the one-off task.'),
  'scale.no-service': user('scale names a service that is not deployed.'),
  'scale.no-target': user('The service has autoscaling in the config but no scalable target yet; deploy first.'),
  'rollback.no-service': user('rollback names a service that is not deployed.'),
  'rollback.no-history': user('The deploy history has no earlier revision of the service to roll back to.'),
  'rollback.revision-gone': user('The revision to roll back to is no longer active in ECS.'),
  'logs.no-group': user('The log groups asked for do not exist: the app or environment is not deployed.'),
  'continue.no-service': user('continue or abort names a service that is not deployed.'),
  'exec.no-service': user('exec names a service that is not deployed.'),
  'exec.not-enabled': user('ECS Exec is not on for the service (or the task predates it): set services.<name>.exec: true and deploy.'),
  'exec.no-plugin': user('exec needs the AWS Session Manager plugin (session-manager-plugin) on PATH.'),
  'exec.no-task': user('exec found no running task (or container) of the service to enter.'),

  // ecs-kit's own invariants: a bug if you see one
  internal: bug('An unexpected error; run with --verbose and please report it.'),
  'engine.graph': bug('The steps depend on one another in a way that cannot be ordered.'),
  'engine.dependency': bug('A step ran before a step it needs had recorded its state.'),
  'engine.step': bug('A step was run without the data or configuration it needs.'),
  'engine.config': bug('A deploy was started without a config.'),
  'security-group.scope': bug('The security-group step was run without a service.'),
  'target-group.scope': bug('The target-group step was run for a service without a port.'),
  'task-definition.no-service': bug('The task-definition step was run for a service the config does not have.'),
  'image.no-build': bug('The image step was run for a service without a build section.'),
} as const satisfies Record<string, ErrorCodeInfo>;

/** Warnings: the run goes on, but something needs the user's attention. Each maps to what it means. */
export const WARNING_CODES = {
  'teardown.not-owned': 'Teardown left a resource in place: its tags do not say ecs-kit created it for this app/env.',
  'task-definition.revisions-kept': 'Deregistered task definition revisions could not be deleted; they stay INACTIVE and cost nothing.',
  'target-group.delete-deferred': 'A replaced target group was still in use; the next deploy deletes it.',
  'load-balancer.http-only': 'The load balancer serves HTTP only; set loadBalancer.certificateArn to serve HTTPS.',
  'load-balancer.provisioning': 'The new load balancer is still provisioning; its URL may not answer for a few minutes.',
  'load-balancer.not-active': 'The load balancer is in a state other than active; its URL may not answer.',
  'load-balancer.test-port-closed':
    'A testPort admits no one until loadBalancer.allowedCidrs lists who may send test traffic (test traffic is never public by default).',
  'network.multiple-vpcs': 'Several VPCs are tagged for this app/env; ecs-kit uses one of them.',
  'network.zone-without-fargate': 'A zone of the deployed network does not run Fargate tasks; ecs-kit does not move a deployed network.',
  'network.zone-mismatch': 'network.zoneIds differs from the zones of the deployed subnets; ecs-kit does not move them.',
  'network.small-subnets': 'The deployed subnets are smaller than the /27 a load balancer needs.',
  'network.private-subnets-one-zone': 'All network.privateSubnetIds are in one availability zone: no resilience to a zone outage.',
  'network.public-subnet-no-internet': 'A public subnet has no route to an internet gateway: the load balancer is not reachable.',
  'network.private-subnet-no-egress': 'A private subnet has no NAT route: tasks need VPC endpoints to pull images and write logs.',
  'capacity.no-outbound': 'awsvpc tasks on EC2 instances get no public IP and there is no NAT: they cannot reach the internet.',
  'secret.unchecked': 'A secret lives in another account or region, so ecs-kit cannot check that it exists.',
  'rollout.stopped-tasks-unreadable': 'Stopped tasks could not be read; the rollout wait goes on without failing fast.',
  'lock.taken-over': 'The lock of an earlier run that is no longer running was taken over; the run resumes.',
  'run.interrupted': 'Ctrl-C: the steps in progress finish, then the run stops (Ctrl-C again quits at once).',
  'run-task.logs-unreadable': "The one-off task's logs could not be read.",
  'run-task.no-exit-code': 'The one-off task stopped without an exit code (e.g. its image could not be pulled).',
  'run-task.exit-code': 'The one-off task exited with a non-zero exit code.',
  'scale.config-differs': 'The config still says another count or range; the next deploy sets it back.',
  'logs.not-deployed': 'A service has no log group yet: it has not been deployed.',
  'init.no-dockerfile': 'The Dockerfile init was told to use does not exist yet; deploy needs it.',
  'init.cannot-list': 'init could not list your VPCs or subnets, so it asks for their ids instead.',
  'init.no-vpcs': 'There are no VPCs in the region to choose from.',
  'init.few-zones': 'The chosen VPC has subnets in fewer than 2 availability zones; the load balancer needs 2.',
  'state.bucket-kept': 'teardown --delete-bucket kept the state bucket: state init did not create it, or it holds other state.',
  'import.unmapped': 'A Copilot manifest field has no ecs-kit equivalent (yet); the message says what to do about it.',
  'iam-policy.too-large':
    'The deployer policy is larger than one IAM managed policy holds (6,144 characters); use --split or an inline policy.',
} as const satisfies Record<string, string>;

/** Notices (`info` events): what the run is doing or found. Each maps to what it means. */
export const NOTICE_CODES = {
  'deploy.no-manifest': 'No manifest yet: deploy looks for resources tagged for this app/env, so nothing is created twice.',
  'deploy.adopting': 'Deploy adopts existing steps it found by their tags.',
  'manifest.rediscovering': 'No manifest: ecs-kit looks for resources tagged for this app/env.',
  'manifest.rediscovered': 'What the search by tags found, now recorded in a new manifest.',
  'teardown.empty': 'Teardown finished: everything ecs-kit created for the environment is deleted.',
  'doctor.start': 'Which app, environment and region doctor checks.',
  'state.removed': "Teardown deleted the environment's state object (every version) from the S3 bucket.",
  'state.bucket-deleted': 'teardown --delete-bucket deleted the empty state bucket that state init had created.',
  'state.bucket-ready': 'state init created the state bucket, or found it ready (versioned, encrypted, private).',
  'state.migrated': 'state migrate copied the local manifest to the shared state.',
  'state.pushed': 'state push wrote the file to the shared state.',
  'state.unlocked': 'The lock was broken; who held it is in the message.',
  'ci-role.ready': 'ci-role created or updated the OIDC provider, the role and its policies.',
  'ci-role.deleted': 'ci-role --delete removed what ci-role had created.',
  'run-task.started': 'The one-off task started.',
  'run-task.status': "The one-off task's status changed.",
  'scale.unchanged': 'The service already wants that many tasks.',
  'scale.autoscaling-on': 'Autoscaling keeps adjusting the count within its range.',
  'secret.stored': 'The secret was stored as an SSM SecureString (value not shown) and referenced in the config.',
  'secret.none': 'No service has secrets.',
  'logs.none': 'No log lines in the time range (and filter).',
  'init.written': 'What init wrote, and for which app and region.',
  'init.next': 'The command to run next.',
  'import.written': 'What import copilot wrote: the services, the environment the network came from, how many fields were not mapped.',
  'docker.output': 'A line of docker output (--verbose).',
  'error.stack': "The stack trace of an error's cause (--verbose).",
  'rollout.paused':
    'A blue/green, linear or canary deployment waits at a pause hook: `ecs-kit continue` goes on, `ecs-kit abort` rolls back.',
  'exec.session': 'An ECS Exec session opened in a task of the service; the Session Manager plugin carries it.',
  'rollout.stage-reached': 'deploy --wait-until: the deployment reached the stage asked for; ECS carries on without ecs-kit waiting.',
} as const satisfies Record<string, string>;

export type ErrorCode = keyof typeof ERROR_CODES;
export type WarningCode = keyof typeof WARNING_CODES;
export type NoticeCode = keyof typeof NOTICE_CODES;
