import { z } from 'zod';

/**
 * Config fields for secrets, task-role permissions and load balancer exposure (issue 6).
 * Kept apart from config/schema.ts so the security rules live next to the code that
 * renders them; schema.ts only plugs these in.
 */

export const SECRET_REF_HELP =
  'use ssm:/path/to/parameter, secretsmanager:secret-name, secretsmanager:secret-name:json-key, or a full arn:aws:ssm:…:parameter/… / arn:aws:secretsmanager:…:secret:… ARN';

export const secretsField = z.record(z.string(), z.string({ error: `secret references must be strings; ${SECRET_REF_HELP}` })).default({});

const KMS_KEY_ARN_RE = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;
const describeKey = (id: string) => `aws kms describe-key --key-id ${id} --query KeyMetadata.Arn`;

/**
 * Only key ARNs: the value is the Resource of kms:Decrypt (execution role) and kms:Encrypt (deployer),
 * and "When an alias is the value of a resource element, the policy applies to the alias resource, not
 * to any KMS key" (https://docs.aws.amazon.com/kms/latest/developerguide/alias-authorization.html).
 */
export function kmsKeyArnProblem(value: string): string | undefined {
  if (KMS_KEY_ARN_RE.test(value)) return undefined;
  // describe-key takes the alias name or the alias ARN, so the value as written works there.
  if (/^(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:)?alias\/\S+$/.test(value)) {
    return (
      'is a KMS alias; an IAM policy cannot name a key by its alias, so tasks could not decrypt their secrets. ' +
      `Use the key ARN it points to: ${describeKey(value)}`
    );
  }
  if (/^(mrk-)?[0-9a-f-]{32,36}$/i.test(value)) return `is a bare key id; write the full KMS key ARN: ${describeKey(value)}`;
  return `must be a KMS key ARN such as arn:aws:kms:us-east-1:123456789012:key/1234abcd-… (find it with ${describeKey('alias/NAME')})`;
}

export const kmsKeyArnField = z
  .string()
  .superRefine((v, ctx) => {
    const problem = kmsKeyArnProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .optional();

const POLICY_ARN_RE = /^arn:aws[a-z-]*:iam::(aws|\d{12}):policy\/[\w+=,.@/-]+$/;

const stringOrList = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

export const iamStatementSchema = z.strictObject({
  Sid: z
    .string()
    .regex(/^[A-Za-z0-9]*$/, 'Sid may contain only letters and digits')
    .optional()
    .describe('Statement id: letters and digits.'),
  Effect: z.enum(['Allow', 'Deny'], { error: 'Effect must be "Allow" or "Deny"' }).describe('Allow or Deny.'),
  Action: stringOrList.optional().describe('IAM actions, e.g. sqs:SendMessage ("*" is refused).'),
  NotAction: stringOrList.optional().describe('IAM actions the statement does not cover.'),
  Resource: stringOrList.optional().describe('ARNs the actions apply to.'),
  NotResource: stringOrList.optional().describe('ARNs the statement does not cover.'),
  Condition: z
    .record(z.string(), z.record(z.string(), z.union([z.string(), z.array(z.string()), z.boolean(), z.number()])))
    .optional()
    .describe('IAM condition block: operator → key → value(s).'),
});

export type IamStatement = z.output<typeof iamStatementSchema>;

export const taskRoleField = z
  .strictObject({
    managedPolicies: z
      .array(z.string().regex(POLICY_ARN_RE, 'must be an IAM policy ARN such as arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess'))
      .default([])
      .describe('IAM managed policy ARNs attached to the task role.'),
    statements: z.array(iamStatementSchema).default([]).describe('Inline policy statements of the task role.'),
  })
  .optional();

export const loadBalancerField = z
  .strictObject({
    certificateArn: z
      .string()
      .regex(
        /^arn:aws[a-z-]*:(acm|iam):[a-z0-9-]*:\d{12}:(certificate|server-certificate)\/[\w./-]+$/,
        'must be an ACM certificate ARN such as arn:aws:acm:us-east-1:123456789012:certificate/…',
      )
      .optional()
      .describe('ACM certificate ARN in the deploy region: the load balancer serves HTTPS on 443 and redirects 80 to it.'),
    allowedCidrs: z
      .array(z.string())
      .min(1, 'must list at least one CIDR; remove the field to allow everyone')
      .optional()
      .describe('Only these IPv4 CIDR blocks may reach the load balancer (default: anyone).'),
  })
  .optional();

export { cidrProblem, cidrsOverlap } from '../config/cidr.js';
