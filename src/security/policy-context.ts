import { partitionOf } from '../aws/partition.js';
import { namesFor, type Names } from '../config/names.js';
import type { Config } from '../config/schema.js';
import { stateLocation, type StateLocation } from '../config/state.js';

export interface DeployerPolicyInput {
  config: Config;
  env: string;
  region: string;
  account: string;
  /** Where the state lives when it is not what the config says (the --state flag). */
  state?: StateLocation;
}

/**
 * What a step (or a command) needs to write the IAM statements its calls need: the config and
 * where it deploys, the names ecs-kit gives its resources, and ARN builders for this partition,
 * region and account.
 */
export interface PolicyContext extends DeployerPolicyInput {
  partition: string;
  app: string;
  names: Names;
  /** The config's services, in config order. */
  services: string[];
  /** arn:<partition>:<service>:<region>:<account>:<resource> */
  arn(service: string, resource: string): string;
  /** IAM is global: arn:<partition>:iam::<account>:<resource> */
  iamArn(resource: string): string;
}

export function policyContext(input: DeployerPolicyInput): PolicyContext {
  const { config, env, region, account } = input;
  const partition = partitionOf(region);
  const fromConfig = stateLocation(config);
  return {
    ...input,
    state: input.state ?? ('problem' in fromConfig ? undefined : fromConfig),
    partition,
    app: config.app,
    names: namesFor(config.app, env),
    services: Object.keys(config.services),
    arn: (service, resource) => `arn:${partition}:${service}:${region}:${account}:${resource}`,
    iamArn: (resource) => `arn:${partition}:iam::${account}:${resource}`,
  };
}
