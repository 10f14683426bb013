/**
 * Every code ecs-kit puts on an error, a warning (`warn` event) or a notice (`info` event), with what it means
 * for the person who sees it. Codes are stable: `--json` consumers and tests match them instead of the English
 * text, which may be reworded. README "Message codes" lists them all (a unit test keeps the two in step, and
 * another that each code here is used in `src/`). A new message gets its code here first; the types refuse any
 * other. The same code may be used for several sentences that mean the same thing.
 */

/** Whose move it is when the error happens: yours (config, flags, files, account, app), AWS's, or ecs-kit's (a bug). */
export type Fault = 'user' | 'aws' | 'ecs-kit';

interface CodeEntry {
  /** One line: what it means for the user. */
  description: string;
}

interface ErrorEntry extends CodeEntry {
  fault: Fault;
}

export const ERROR_CODES = {
  // Command line, config and local files
  usage: { fault: 'user', description: 'A flag or argument is not valid; nothing was changed.' },
  'usage.service': { fault: 'user', description: 'The service named on the command line is not in the config, or a service name is needed.' },
  'usage.scale': { fault: 'user', description: 'The scale flags do not fit together or do not fit the autoscaling range.' },
  'config.invalid': { fault: 'user', description: 'The config file has errors; each names the field path.' },
  'config.missing': { fault: 'user', description: 'There is no config file at the path (or it is a directory).' },
  'config.extension': { fault: 'user', description: '--config names a file that is not .yml, .yaml or .json.' },
  'config.certificate-region': { fault: 'user', description: 'loadBalancer.certificateArn is in another region or account than the deploy.' },
  'confirm.required': { fault: 'user', description: 'The command needs a confirmation and this session cannot prompt; pass the flag it names.' },
  aborted: { fault: 'user', description: 'Ctrl-C or a declined confirmation; nothing more was changed.' },
  'init.exists': { fault: 'user', description: 'init would overwrite an existing file (or the path is a directory); pass --force or another --config.' },
  'init.invalid': { fault: 'user', description: 'Values given to init are not valid, so no config was written.' },
  'init.source': { fault: 'user', description: 'init does not know which container to run: pass --image or --dockerfile.' },
  'image.context': { fault: 'user', description: 'A service build context is not a directory.' },
  'image.dockerfile': { fault: 'user', description: 'A service Dockerfile is missing or outside its build context.' },
  'secret.name': { fault: 'user', description: 'The secret name is not a valid environment variable name, or is reserved.' },
  'secret.service': { fault: 'user', description: 'secret set names a service that is not in the config.' },
  'secret.conflict': { fault: 'user', description: 'The variable is already a plain environment variable or points at another secret.' },
  'secret.value': { fault: 'user', description: 'The secret value is missing, empty or too large for an SSM parameter.' },
  'secret.reference': { fault: 'user', description: 'A secret reference in the config is not valid.' },
  'secret.missing': { fault: 'user', description: 'A referenced SSM parameter or Secrets Manager secret does not exist; nothing was changed.' },

  // AWS: credentials, permissions, limits, connectivity
  'aws.region': { fault: 'user', description: 'No AWS region is set.' },
  'aws.credentials': { fault: 'user', description: 'No AWS credentials were found, or they were rejected or expired.' },
  'aws.access-denied': { fault: 'user', description: 'Your AWS identity is not allowed to make a call ecs-kit needs.' },
  'aws.quota': { fault: 'user', description: 'An AWS service quota was reached.' },
  'aws.unreachable': { fault: 'user', description: 'The AWS endpoint could not be reached (network, proxy or --endpoint-url).' },
  'aws.throttled': { fault: 'aws', description: 'AWS kept throttling requests after retries; run again, it resumes.' },
  'aws.server': { fault: 'aws', description: 'The AWS endpoint returned an unexpected response; usually temporary.' },
  'aws.not-released': { fault: 'aws', description: 'EC2 still holds a resource for something just deleted; run again in a minute.' },
  'aws.error': { fault: 'aws', description: 'Any other AWS error, with its name and message.' },

  // Manifest and lock
  'manifest.corrupt': { fault: 'user', description: 'The manifest is not valid JSON (damaged or edited by hand).' },
  'manifest.version': { fault: 'user', description: 'The manifest was written by a newer ecs-kit; upgrade.' },
  'manifest.identity': { fault: 'user', description: 'The manifest belongs to another account or region than the credentials.' },
  'manifest.app': { fault: 'user', description: 'The manifest belongs to another app name than the config says.' },
  'manifest.unknown-step': { fault: 'user', description: 'The manifest records a step this version of ecs-kit does not know; upgrade.' },
  'manifest.read-only': { fault: 'ecs-kit', description: 'A read-only command tried to write the manifest (a bug).' },
  'lock.held': { fault: 'user', description: 'Another ecs-kit run holds the lock of this environment.' },

  // Resources that exist under ecs-kit's names but were not created by it for this app/env
  'cluster.not-owned': { fault: 'user', description: 'An ECS cluster of that name exists that ecs-kit did not create for this app/env.' },
  'ecr.not-owned': { fault: 'user', description: 'An ECR repository of that name exists that ecs-kit did not create for this app/env.' },
  'logs.not-owned': { fault: 'user', description: 'A CloudWatch log group of that name exists that ecs-kit did not create for this app/env.' },
  'role.not-owned': { fault: 'user', description: 'An IAM role of that name exists that ecs-kit did not create for this app/env.' },
  'service.not-owned': { fault: 'user', description: 'An ECS service of that name exists that ecs-kit did not create for this app/env.' },
  'task-definition.not-owned': { fault: 'user', description: 'A task definition family of that name exists that ecs-kit did not create for this app/env.' },
  'secret.not-owned': { fault: 'user', description: 'secret set would overwrite an SSM parameter ecs-kit did not create.' },
  'security-group.not-owned': { fault: 'user', description: 'A service security group of that name exists that ecs-kit did not create for this app/env.' },
  'load-balancer.not-owned': { fault: 'user', description: 'A load balancer of that name exists that ecs-kit did not create for this app/env.' },
  'load-balancer.sg-not-owned': {
    fault: 'user',
    description: 'A load balancer security group of that name exists that ecs-kit did not create for this app/env.',
  },
  'target-group.not-owned': { fault: 'user', description: 'A target group of that name exists that ecs-kit did not create for this app/env.' },
  'capacity.role-not-owned': { fault: 'user', description: 'An EC2 instance role of that name exists that ecs-kit did not create for this app/env.' },
  'capacity.profile-not-owned': { fault: 'user', description: 'An instance profile of that name exists that ecs-kit did not create for this app/env.' },
  'capacity.sg-not-owned': { fault: 'user', description: 'An instance security group of that name exists that ecs-kit did not create for this app/env.' },
  'capacity.lt-not-owned': { fault: 'user', description: 'A launch template of that name exists that ecs-kit did not create for this app/env.' },
  'capacity.asg-not-owned': { fault: 'user', description: 'An Auto Scaling group of that name exists that ecs-kit did not create for this app/env.' },
  'capacity.cp-not-owned': { fault: 'user', description: 'An ECS capacity provider of that name exists that ecs-kit did not create for this app/env.' },

  // Network
  'network.cidr': { fault: 'user', description: 'network.cidr is not an IPv4 block ecs-kit can lay subnets out in (/16 to /24).' },
  'network.cidr-change': { fault: 'user', description: 'The config asks for another CIDR block than the deployed VPC has; a VPC cannot change it.' },
  'network.profile-change': { fault: 'user', description: 'The config asks for another network shape than the deployed one, which ecs-kit does not replace.' },
  'network.azs': { fault: 'user', description: 'network.azs is out of range, or the region has too few usable availability zones.' },
  'network.zoneIds': { fault: 'user', description: 'network.zoneIds names a zone that is not available, or where Fargate does not run.' },
  'network.vpc-not-found': { fault: 'user', description: 'network.vpcId does not exist in this account and region.' },
  'network.subnets': { fault: 'user', description: 'The subnets in network.publicSubnetIds/privateSubnetIds do not fit the VPC.' },
  'network.nat-failed': { fault: 'aws', description: 'A NAT gateway could not be created; the error says why.' },
  'network.eip-not-released': { fault: 'aws', description: 'AWS has not released the Elastic IP of a deleted NAT gateway yet; run again in a minute.' },

  // EC2 capacity
  'capacity.unknown-instance-type': { fault: 'user', description: 'ec2.instanceType is not offered in this region.' },
  'capacity.unsupported-instance-type': { fault: 'user', description: 'ec2.instanceType is neither x86_64 nor arm64.' },
  'capacity.architecture-mismatch': { fault: 'user', description: 'The instance type and the services running on it have different CPU architectures.' },
  'capacity.ami-not-found': { fault: 'user', description: 'ec2.ami is not an AMI this account can launch in this region.' },
  'capacity.ami-architecture': { fault: 'user', description: 'ec2.ami is built for another CPU architecture than the instance type.' },
  'capacity.no-ami': { fault: 'aws', description: 'The ECS-optimized AMI id could not be read from its public parameter; set ec2.ami.' },
  'capacity.asg-deleting': { fault: 'aws', description: 'The Auto Scaling group of an earlier teardown is still being deleted; deploy again later.' },
  'capacity.cp-stale': { fault: 'user', description: 'The capacity provider points at an Auto Scaling group deleted outside ecs-kit.' },
  'capacity.cp-delete-failed': { fault: 'user', description: 'ECS could not delete the capacity provider (usually still in use).' },
  'capacity.delete-timeout': { fault: 'aws', description: 'EC2 capacity was still being deleted when the wait ended; run the teardown again.' },

  // Images, services, target groups
  'docker.missing': { fault: 'user', description: 'The docker command could not be run (not installed or not on PATH).' },
  'docker.failed': { fault: 'user', description: 'A docker build, tag, login or push failed; its last output lines say why.' },
  'image.auth': { fault: 'aws', description: 'ECR returned no usable registry login.' },
  'task-definition.register': { fault: 'aws', description: 'ECS registered a task definition but returned none.' },
  'service.draining': { fault: 'aws', description: 'A service of that name from an earlier teardown is still draining; deploy again later.' },
  'service.launch-type': { fault: 'user', description: 'ECS will not move a FARGATE launch-type service to a capacity provider strategy in place.' },
  'service.delete-timeout': { fault: 'aws', description: 'The service was still stopping its tasks when the wait ended; run the teardown again.' },
  'target-group.in-use': { fault: 'aws', description: 'A target group is still in use and could not be deleted.' },

  // Rollouts
  'rollout.failed': { fault: 'user', description: 'The new revision did not roll out and was left in place (--no-rollback); the diagnosis says why.' },
  'rollout.rolled-back': { fault: 'user', description: 'The new revision did not roll out and the service was put back on the previous one.' },
  'rollout.timeout': { fault: 'user', description: 'The rollout did not finish within --timeout; ECS keeps rolling out in the background.' },
  'rollout.service-missing': { fault: 'user', description: 'The service was deleted while ecs-kit waited for its rollout.' },

  // Day-2 commands
  'run-task.no-service': { fault: 'user', description: 'run-task names a service that is not deployed.' },
  'run-task.no-network': { fault: 'user', description: 'The service has no awsvpc network configuration to run the task in.' },
  'run-task.no-container': { fault: 'user', description: "The service's task definition has no container." },
  'run-task.failed-to-start': { fault: 'aws', description: 'ECS did not start the one-off task; the error gives its reason.' },
  'run-task.timeout': { fault: 'user', description: 'The one-off task did not stop within --timeout; it keeps running.' },
  'run-task.missing': { fault: 'aws', description: 'ECS no longer describes the one-off task.' },
  'scale.no-service': { fault: 'user', description: 'scale names a service that is not deployed.' },
  'scale.no-target': { fault: 'user', description: 'The service has autoscaling in the config but no scalable target yet; deploy first.' },
  'rollback.no-service': { fault: 'user', description: 'rollback names a service that is not deployed.' },
  'rollback.no-history': { fault: 'user', description: 'The deploy history has no earlier revision of the service to roll back to.' },
  'rollback.revision-gone': { fault: 'user', description: 'The revision to roll back to is no longer active in ECS.' },
  'logs.no-group': { fault: 'user', description: 'The log groups asked for do not exist: the app or environment is not deployed.' },

  // ecs-kit's own invariants: a bug if you see one
  internal: { fault: 'ecs-kit', description: 'An unexpected error; run with --verbose and please report it.' },
  'engine.graph': { fault: 'ecs-kit', description: 'The steps depend on one another in a way that cannot be ordered.' },
  'engine.dependency': { fault: 'ecs-kit', description: 'A step ran before a step it needs had recorded its state.' },
  'engine.step': { fault: 'ecs-kit', description: 'A step was run without the data or configuration it needs.' },
  'engine.config': { fault: 'ecs-kit', description: 'A deploy was started without a config.' },
  'security-group.scope': { fault: 'ecs-kit', description: 'The security-group step was run without a service.' },
  'target-group.scope': { fault: 'ecs-kit', description: 'The target-group step was run for a service without a port.' },
  'task-definition.no-service': { fault: 'ecs-kit', description: 'The task-definition step was run for a service the config does not have.' },
  'image.no-build': { fault: 'ecs-kit', description: 'The image step was run for a service without a build section.' },
} as const satisfies Record<string, ErrorEntry>;

export const WARNING_CODES = {
  'teardown.not-owned': { description: 'Teardown left a resource in place: its tags do not say ecs-kit created it for this app/env.' },
  'task-definition.revisions-kept': { description: 'Deregistered task definition revisions could not be deleted; they stay INACTIVE and cost nothing.' },
  'target-group.delete-deferred': { description: 'A replaced target group was still in use; the next deploy deletes it.' },
  'load-balancer.http-only': { description: 'The load balancer serves HTTP only; set loadBalancer.certificateArn to serve HTTPS.' },
  'load-balancer.provisioning': { description: 'The new load balancer is still provisioning; its URL may not answer for a few minutes.' },
  'load-balancer.not-active': { description: 'The load balancer is in a state other than active; its URL may not answer.' },
  'network.multiple-vpcs': { description: 'Several VPCs are tagged for this app/env; ecs-kit uses one of them.' },
  'network.zone-without-fargate': { description: 'A zone of the deployed network does not run Fargate tasks; ecs-kit does not move a deployed network.' },
  'network.zone-mismatch': { description: 'network.zoneIds differs from the zones of the deployed subnets; ecs-kit does not move them.' },
  'network.small-subnets': { description: 'The deployed subnets are smaller than the /27 a load balancer needs.' },
  'network.private-subnets-one-zone': { description: 'All network.privateSubnetIds are in one availability zone: no resilience to a zone outage.' },
  'network.public-subnet-no-internet': { description: 'A public subnet has no route to an internet gateway: the load balancer is not reachable.' },
  'network.private-subnet-no-egress': { description: 'A private subnet has no NAT route: tasks need VPC endpoints to pull images and write logs.' },
  'capacity.no-outbound': { description: 'awsvpc tasks on EC2 instances get no public IP and there is no NAT: they cannot reach the internet.' },
  'secret.unchecked': { description: 'A secret lives in another account or region, so ecs-kit cannot check that it exists.' },
  'rollout.stopped-tasks-unreadable': { description: 'Stopped tasks could not be read; the rollout wait goes on without failing fast.' },
  'lock.taken-over': { description: 'The lock of an earlier run that is no longer running was taken over; the run resumes.' },
  'run.interrupted': { description: 'Ctrl-C: the steps in progress finish, then the run stops (Ctrl-C again quits at once).' },
  'run-task.logs-unreadable': { description: "The one-off task's logs could not be read." },
  'run-task.no-exit-code': { description: 'The one-off task stopped without an exit code (e.g. its image could not be pulled).' },
  'run-task.exit-code': { description: 'The one-off task exited with a non-zero exit code.' },
  'scale.config-differs': { description: 'The config still says another count or range; the next deploy sets it back.' },
  'logs.not-deployed': { description: 'A service has no log group yet: it has not been deployed.' },
  'init.no-dockerfile': { description: 'The Dockerfile init was told to use does not exist yet; deploy needs it.' },
  'init.cannot-list': { description: 'init could not list your VPCs or subnets, so it asks for their ids instead.' },
  'init.no-vpcs': { description: 'There are no VPCs in the region to choose from.' },
  'init.few-zones': { description: 'The chosen VPC has subnets in fewer than 2 availability zones; the load balancer needs 2.' },
} as const satisfies Record<string, CodeEntry>;

export const NOTICE_CODES = {
  'deploy.no-manifest': { description: 'No manifest yet: deploy looks for resources tagged for this app/env, so nothing is created twice.' },
  'deploy.adopting': { description: 'Deploy adopts existing steps it found by their tags.' },
  'manifest.rediscovering': { description: 'No manifest: ecs-kit looks for resources tagged for this app/env.' },
  'manifest.rediscovered': { description: 'What the search by tags found, now recorded in a new manifest.' },
  'teardown.empty': { description: 'Teardown finished: everything ecs-kit created for the environment is deleted.' },
  'doctor.start': { description: 'Which app, environment and region doctor checks.' },
  'run-task.started': { description: 'The one-off task started.' },
  'run-task.status': { description: "The one-off task's status changed." },
  'scale.unchanged': { description: 'The service already wants that many tasks.' },
  'scale.autoscaling-on': { description: 'Autoscaling keeps adjusting the count within its range.' },
  'secret.stored': { description: 'The secret was stored as an SSM SecureString (value not shown) and referenced in the config.' },
  'secret.none': { description: 'No service has secrets.' },
  'logs.none': { description: 'No log lines in the time range (and filter).' },
  'init.written': { description: 'What init wrote, and for which app and region.' },
  'init.next': { description: 'The command to run next.' },
  'docker.output': { description: 'A line of docker output (--verbose).' },
  'error.stack': { description: "The stack trace of an error's cause (--verbose)." },
} as const satisfies Record<string, CodeEntry>;

export type ErrorCode = keyof typeof ERROR_CODES;
export type WarningCode = keyof typeof WARNING_CODES;
export type NoticeCode = keyof typeof NOTICE_CODES;
