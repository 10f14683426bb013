import type { CommandSpec } from '../../command-spec.js';

export const doctor: CommandSpec<object, []> = {
  name: 'doctor',
  description:
    'read-only preflight: credentials, region, service-linked roles, quotas, Fargate zones, certificate, secrets, image architecture',
  async run({ opts, io, reporter }) {
    const { runDoctor } = await import('./index.js');
    return runDoctor(opts, io, reporter);
  },
};
