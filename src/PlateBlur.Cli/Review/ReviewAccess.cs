using System.CommandLine;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace PlateBlur.Cli.Review;

/// <summary>Who may reach a review page (plateblur review, and plateblur serve's page). It binds 127.0.0.1 by default. Any other address is
/// refused unless --allow-remote is given together with an authentication setting: --auth entra --auth-group GROUP, which makes the page
/// require the signed-in user that Azure Container Apps' built-in authentication (Entra ID) passes in X-MS-CLIENT-PRINCIPAL, with GROUP
/// (an Entra group's object id) among its group claims. That header is set by the platform's authentication layer, which removes any copy a
/// client sends: the setting is safe only behind it (infra/README.md, "Review page").</summary>
public sealed record ReviewAccess(IPAddress Bind, bool AllowRemote, string Auth, string? Group)
{
    public const string PrincipalHeader = "X-MS-CLIENT-PRINCIPAL";

    public static ReviewAccess LoopbackOnly { get; } = new(IPAddress.Loopback, false, "none", null);

    public bool Loopback => IPAddress.IsLoopback(Bind);
    public bool RequiresSignIn => Auth == "entra";

    /// <summary>The flags, for plateblur review and plateblur serve (prefix "review-" for serve: --review-bind …).</summary>
    public sealed class Options(string prefix)
    {
        public Option<string> Bind { get; } = new($"--{prefix}bind")
        {
            Description = "Address the review page listens on (default 127.0.0.1; anything else needs --allow-remote with --auth entra)",
            DefaultValueFactory = _ => "127.0.0.1",
        };
        public Option<bool> AllowRemote { get; } = new("--allow-remote") { Description = "Allow a non-loopback address for the review page (only with --auth entra --auth-group GROUP)" };
        public Option<string> Auth { get; } = new("--auth")
        {
            Description = "none | entra: require the Entra ID user that Container Apps authentication passes (X-MS-CLIENT-PRINCIPAL) to be in --auth-group",
            DefaultValueFactory = _ => "none",
        };
        public Option<string?> Group { get; } = new("--auth-group") { Description = "Object id of the Entra group whose members may review (with --auth entra)" };

        public void AddTo(Command cmd)
        {
            Auth.AcceptOnlyFromAmong("none", "entra");
            foreach (var o in new Option[] { Bind, AllowRemote, Auth, Group }) cmd.Options.Add(o);
        }

        /// <summary>The access asked for, or why it is refused (one line).</summary>
        public (ReviewAccess? Access, string? Error) Resolve(ParseResult r)
        {
            string bind = r.GetValue(Bind)!;
            if (!IPAddress.TryParse(bind == "localhost" ? "127.0.0.1" : bind, out var address))
                return (null, $"{Bind.Name} must be an IP address (got '{bind}')");
            var access = new ReviewAccess(address, r.GetValue(AllowRemote), r.GetValue(Auth)!, r.GetValue(Group));
            return access.Refusal() is { } why ? (null, why) : (access, null);
        }
    }

    /// <summary>Why this access is refused, or null.</summary>
    public string? Refusal()
    {
        if (RequiresSignIn && string.IsNullOrWhiteSpace(Group))
            return "--auth entra needs --auth-group GROUP_OBJECT_ID: the Entra group whose members may review";
        if (Loopback) return null;
        if (!AllowRemote)
            return $"the review page binds loopback only, not {Bind}: it serves anonymized files and, where the source exists, the originals (personal data). " +
                   "To serve it on another address give --allow-remote with --auth entra --auth-group GROUP_OBJECT_ID, and run it only behind Entra ID authentication (Container Apps built-in auth; infra/README.md)";
        if (!RequiresSignIn)
            return $"--allow-remote needs an authentication setting: --auth entra --auth-group GROUP_OBJECT_ID (the page then requires the signed-in user of Container Apps authentication in that group); refused to serve {Bind} without one";
        return null;
    }

    /// <summary>Whether a request may be served: with --auth entra, the platform's principal header must name a user in the group.</summary>
    public bool Authorized(HttpContext ctx, out string why)
    {
        why = "";
        if (!RequiresSignIn) return true;
        string? header = ctx.Request.Headers[PrincipalHeader];
        if (string.IsNullOrEmpty(header)) { why = "sign in first: this page is served only behind Entra ID authentication"; return false; }
        try
        {
            using var doc = JsonDocument.Parse(Convert.FromBase64String(header));
            foreach (var claim in doc.RootElement.GetProperty("claims").EnumerateArray())
            {
                string typ = claim.GetProperty("typ").GetString() ?? "";
                if ((typ == "groups" || typ.EndsWith("/claims/groups", StringComparison.Ordinal)) && claim.GetProperty("val").GetString() == Group) return true;
            }
            why = "the signed-in user is not in the reviewers' group";
            return false;
        }
        catch (Exception e) when (e is FormatException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            why = "the sign-in principal could not be read";
            return false;
        }
    }

    /// <summary>A principal header as Container Apps authentication writes it (for tests and local trials).</summary>
    public static string Principal(string name, params string[] groups) => Convert.ToBase64String(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new
    {
        auth_typ = "aad",
        claims = new[] { new { typ = "name", val = name } }.Concat(groups.Select(g => new { typ = "groups", val = g })).ToArray(),
        name_typ = "name",
        role_typ = "roles",
    })));
}
