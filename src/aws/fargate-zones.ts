/**
 * Regions where Fargate runs only in some availability zones, by zone ID (zone names map to
 * different IDs in every account, so only IDs are meaningful). Source: ECS Developer Guide,
 * "Supported Regions for Amazon ECS on AWS Fargate", Linux containers table
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/AWS_Fargate-Regions.html),
 * read 2026-12-01. Regions not listed support Fargate in every zone.
 */
export const FARGATE_ZONE_IDS: Readonly<Record<string, readonly string[]>> = {
  'us-west-1': ['usw1-az1', 'usw1-az3'],
  'ap-northeast-1': ['apne1-az1', 'apne1-az2', 'apne1-az4'],
  'cn-north-1': ['cnn1-az1', 'cnn1-az2'],
};

/** True when Fargate tasks can run in the zone with this ID (unknown IDs count as supported). */
export function fargateSupportsZone(region: string, zoneId: string | undefined): boolean {
  const only = FARGATE_ZONE_IDS[region];
  if (!only || !zoneId) return true;
  return only.includes(zoneId);
}
