using System.Text.RegularExpressions;

namespace Vitmix.Hub;

/// <summary>
/// A Hugging Face Hub model reference <c>org/name[@revision]</c>, e.g. <c>timm/vit_base_patch16_224.augreg2_in21k_ft_in1k</c>
/// or <c>google/vit-base-patch16-224@main</c>. The revision is a branch, tag or 40-hex commit; default <c>main</c>.
/// </summary>
public readonly partial record struct HubModelId(string RepoId, string Revision)
{
    /// <summary>The revision used when none is given.</summary>
    public const string DefaultRevision = "main";

    /// <summary>True when <see cref="Revision"/> is a full commit hash, which needs no refs/ lookup.</summary>
    public bool RevisionIsCommit => IsCommitHash(Revision);

    /// <summary>
    /// Parses <c>org/name[@revision]</c> with huggingface_hub's repo-id rules: word characters, '-' and '.', no "--" or
    /// "..", no leading or trailing '-' or '.', at most 96 characters. Single names without an org are not accepted
    /// (they are too easily a misspelt local file). A revision may hold '/' (refs/pr/1) but no "..", no leading '/',
    /// no backslash, ':', whitespace, control character or empty segment.
    /// </summary>
    public static bool TryParse(string? text, out HubModelId id)
    {
        id = default;
        if (string.IsNullOrWhiteSpace(text)) return false;
        string repo = text, revision = DefaultRevision;
        int at = text.IndexOf('@');
        if (at >= 0)
        {
            repo = text[..at];
            revision = text[(at + 1)..];
            // The revision names a file below refs/ in the cache, so it follows the cache's path rules.
            if (HubPathGuard.RevisionProblem(revision) != null)
                return false;
        }
        if (repo.Length > 96 || repo.Contains("--") || repo.Contains("..") || !RepoIdPattern().IsMatch(repo))
            return false;
        id = new HubModelId(repo, revision);
        return true;
    }

    /// <summary>Parses or throws <see cref="ArgumentException"/> naming the text and the expected form.</summary>
    public static HubModelId Parse(string text) =>
        TryParse(text, out var id) ? id : throw new ArgumentException(Invalid(text), nameof(text));

    /// <summary>
    /// Why <paramref name="text"/> is not a model id, for an error message: the revision's problem when only the
    /// revision is wrong (e.g. <c>org/name@../x</c> holds '..'), else the expected form.
    /// </summary>
    public static string Invalid(string text)
    {
        int at = text.IndexOf('@');
        if (at >= 0 && TryParse(text[..at], out _) && HubPathGuard.RevisionProblem(text[(at + 1)..]) is { } problem)
            return $"'{text}': the revision '{text[(at + 1)..]}' {problem}";
        return $"'{text}' is not a Hugging Face Hub model id; expected org/name or org/name@revision";
    }

    /// <summary>True for a 40-character lowercase hex string (a git commit hash as the hub reports it).</summary>
    public static bool IsCommitHash(string s) => s.Length == 40 && s.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');

    /// <summary>The cache folder name huggingface_hub uses: <c>models--org--name</c>.</summary>
    public string CacheFolderName => "models--" + RepoId.Replace("/", "--");

    /// <inheritdoc/>
    public override string ToString() => Revision == DefaultRevision ? RepoId : $"{RepoId}@{Revision}";

    // Each part: starts and ends with a word character, may hold '-' and '.' inside.
    [GeneratedRegex(@"^[A-Za-z0-9_](?:[\w\-.]*[A-Za-z0-9_])?/[A-Za-z0-9_](?:[\w\-.]*[A-Za-z0-9_])?$")]
    private static partial Regex RepoIdPattern();
}
