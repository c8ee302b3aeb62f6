namespace PlateBlur.Core.Anonymization;

/// <summary>A clearly named temporary file beside the output (NAME.partial.EXT) that is removed unless it is committed into place.</summary>
public sealed class PartialFile : IDisposable
{
    public PartialFile(string finalPath, string tag = "partial")
    {
        FinalPath = Path.GetFullPath(finalPath);
        string dir = Path.GetDirectoryName(FinalPath)!;
        TempPath = Path.Combine(dir, $"{Path.GetFileNameWithoutExtension(FinalPath)}.{tag}{Path.GetExtension(FinalPath)}");
    }

    public string FinalPath { get; }
    public string TempPath { get; }
    public bool Committed { get; private set; }

    /// <summary>Moves the partial file onto the final path.</summary>
    public void Commit(bool overwrite)
    {
        File.Move(TempPath, FinalPath, overwrite);
        Committed = true;
    }

    public void Dispose()
    {
        if (!Committed && File.Exists(TempPath)) File.Delete(TempPath);
    }
}
