/**
 * KMS key references as EC2 accepts them in `KmsKeyId`: key id, `alias/NAME`, key ARN or alias ARN.
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CopySnapshot.html (KmsKeyId)
 *
 * The emulator has no KMS service: a key "exists" when the emulator's key list says so. AWS-managed
 * aliases (`alias/aws/...`, such as the EBS default `alias/aws/ebs`) always exist.
 */
export interface KeyRef {
  /** The region named by an ARN; `undefined` for bare ids and aliases (the caller's region). */
  region: string | undefined;
  /** `key/<id>` or `alias/<name>`. */
  name: string;
}

export function parseKeyRef(ref: string): KeyRef {
  const arn = /^arn:aws[\w-]*:kms:([^:]*):[^:]*:((?:key|alias)\/.+)$/.exec(ref);
  if (arn) return { region: arn[1] === "" ? undefined : arn[1], name: arn[2] as string };
  if (ref.startsWith("alias/")) return { region: undefined, name: ref };
  return { region: undefined, name: `key/${ref}` };
}

export function isAwsManagedKey(ref: KeyRef): boolean {
  return ref.name.startsWith("alias/aws/");
}

/**
 * The KMS keys each region has. A region absent from `known` accepts every key (the emulator does
 * not model its keys); a listed region has exactly its listed keys plus the AWS-managed aliases.
 * Keys can be removed (the fault plan's missing keys): a region whose customer keys are all removed
 * keeps only the AWS-managed aliases.
 */
export class KmsKeys {
  private readonly known = new Map<string, Set<string>>();
  private readonly removed = new Map<string, Set<string>>();
  private readonly allRemoved = new Set<string>();

  constructor(known: Record<string, string[]> = {}) {
    for (const [region, refs] of Object.entries(known)) {
      this.known.set(region, new Set(refs.map((r) => parseKeyRef(r).name)));
    }
  }

  usable(region: string, ref: string): boolean {
    const key = parseKeyRef(ref);
    if (key.region !== undefined && key.region !== region) return false;
    if (isAwsManagedKey(key)) return true;
    if (this.isRemoved(region, ref)) return false;
    const known = this.known.get(region);
    return known === undefined || known.has(key.name);
  }

  isRemoved(region: string, ref: string): boolean {
    const key = parseKeyRef(ref);
    if (isAwsManagedKey(key)) return false;
    return this.allRemoved.has(region) || (this.removed.get(region)?.has(key.name) ?? false);
  }

  /** Removes one key of the region, or (without `ref`) every customer-managed key there. */
  remove(region: string, ref?: string): void {
    if (ref === undefined) {
      this.allRemoved.add(region);
      return;
    }
    let set = this.removed.get(region);
    if (!set) {
      set = new Set();
      this.removed.set(region, set);
    }
    set.add(parseKeyRef(ref).name);
  }
}
