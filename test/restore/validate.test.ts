import { volumeSpecProblems } from "../../lib/restore/validate";

/** Sizes and types per API_CreateVolume.html ("Size", "Iops", "VolumeType"). */
describe("volumeSpecProblems", () => {
  const spec = { sizeGiB: 8, volumeType: "gp3", iops: null, snapshotSizeGiB: 8, isRootDevice: true };

  it("accepts the snapshot's size as gp3", () => {
    expect(volumeSpecProblems(spec)).toEqual([]);
  });

  it.each([
    [{ sizeGiB: 4 }, /smaller than the snapshot \(8 GiB\): pass --size 8 or more/],
    [{ volumeType: "gp9" }, /volume type gp9 is not one of gp2, gp3, io1, io2, st1, sc1, standard/],
    [{ volumeType: "standard", sizeGiB: 2000 }, /a standard volume must be 1-1024 GiB, not 2000/],
    [{ volumeType: "gp2", sizeGiB: 20000 }, /a gp2 volume must be 1-16384 GiB/],
    [{ volumeType: "st1", sizeGiB: 100, isRootDevice: false }, /a st1 volume must be 125-16384 GiB/],
    [{ volumeType: "io2" }, /io2 needs provisioned IOPS/],
    [{ volumeType: "sc1", sizeGiB: 200 }, /sc1 cannot be a boot volume/],
  ])("names the problem with %p and what to change", (change, message) => {
    const problems = volumeSpecProblems({ ...spec, ...change });

    expect(problems.join("\n")).toMatch(message);
  });

  it("accepts io1 with the current volume's IOPS and a larger size", () => {
    expect(volumeSpecProblems({ ...spec, volumeType: "io1", iops: 3000, sizeGiB: 100 })).toEqual([]);
  });
});
