import { rewriteStates, type Rule } from './types.js';

const lbProvisioning: Rule = {
  id: 'elbv2.load-balancer-provisioning',
  description: 'A new load balancer is "provisioning" (DescribeLoadBalancers) for a window, then "active"',
  // ELBv2 API, LoadBalancerState `Code` (active | provisioning | active_impaired | failed); a new ALB provisions for minutes.
  source: 'https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_LoadBalancerState.html',
  rewrite(req, body, { state, now, windows }) {
    if (req.service !== 'elasticloadbalancing' || req.operation !== 'DescribeLoadBalancers') return undefined;
    const out = rewriteStates(body, 'LoadBalancerArn', /<State>\s*<Code>([^<]+)<\/Code>/, (arn, current) => {
      const created = state.loadBalancers.get(arn);
      return created !== undefined && now - created < windows.lbProvisioning && current === 'active' ? 'provisioning' : undefined;
    });
    return out === body ? undefined : out;
  },
};

export const ELB_RULES: Rule[] = [lbProvisioning];
