using System.Security.Cryptography;
using PlateBlur.Core.Media;

namespace PlateBlur.Core.Anonymization;

/// <summary>A temporary file beside the output, removed unless it is committed into place.</summary>
/// <remarks>Its name is hidden and unique (<c>.NAME.plateblur-TAG-RANDOM.EXT</c>) and it is created with create-new, so it can never be
/// an existing file: not the input (whatever the input is called), not another run's temporary file. Only a file this object created
/// is ever deleted.</remarks>
public sealed class PartialFile : IDisposable
{
    public const string Marker = ".plateblur-";

    public PartialFile(string finalPath, string tag = "partial")
    {
        FinalPath = Path.GetFullPath(finalPath);
        string dir = Path.GetDirectoryName(FinalPath)!;
        string stem = Path.GetFileNameWithoutExtension(FinalPath);
        if (stem.Length > 120) stem = stem[..120];
        for (int attempt = 0; ; attempt++)
        {
            string random = Convert.ToHexString(RandomNumberGenerator.GetBytes(6)).ToLowerInvariant();
            string candidate = Path.Combine(dir, $".{stem}{Marker}{tag}-{random}{Path.GetExtension(FinalPath)}");
            try
            {
                using (new FileStream(candidate, FileMode.CreateNew, FileAccess.Write, FileShare.None)) { }
                TempPath = candidate;
                break;
            }
            catch (IOException) when (attempt < 5 && File.Exists(candidate)) { /* taken: draw again */ }
            catch (Exception e) when (e is UnauthorizedAccessException or IOException)
            {
                throw new MediaException(MediaError.CannotWrite, $"Cannot write into {dir}: {e.Message}", e);
            }
        }
    }

    public string FinalPath { get; }
    public string TempPath { get; } = "";
    public bool Committed { get; private set; }

    /// <summary>True for a name PlateBlur gives its temporary files; such files are never taken as inputs.</summary>
    public static bool IsTemporaryName(string path)
    {
        string name = Path.GetFileName(path);
        return name.StartsWith('.') && name.Contains(Marker, StringComparison.Ordinal);
    }

    /// <summary>Moves the partial file onto the final path.</summary>
    public void Commit(bool overwrite)
    {
        try
        {
            File.Move(TempPath, FinalPath, overwrite);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new MediaException(File.Exists(FinalPath) && !overwrite ? MediaError.OutputExists : MediaError.CannotWrite,
                $"Cannot write {FinalPath}: {e.Message}", e);
        }
        Committed = true;
    }

    public void Dispose()
    {
        if (Committed || TempPath.Length == 0) return;
        try { File.Delete(TempPath); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
