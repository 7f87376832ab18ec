/**
 * One explicit AWS provider per region, shared by every cluster in that region, so that no AWS
 * resource ever falls back to the ambient `aws:region` or default provider.
 */
import * as aws from "@pulumi/aws";

const providers = new Map<string, aws.Provider>();

/** Logical name of the shared provider of `region`. */
export function awsProviderName(region: string): string {
  return `aws-${region}`;
}

/** The AWS provider of `region`, created on first use. */
export function awsProviderFor(region: string, defaultTags: Record<string, string>): aws.Provider {
  let provider = providers.get(region);
  if (!provider) {
    provider = new aws.Provider(awsProviderName(region), { region, defaultTags: { tags: defaultTags } });
    providers.set(region, provider);
  }
  return provider;
}
