using NativeSftp.Sftp;
using NativeSftp.Sftp.Protocol;
using NativeSftp.Tests.Fixtures;
using NativeSftp.Transfer;

namespace NativeSftp.Tests.Sftp;

/// <summary>The statuses OpenSSH's sftp-server gives when it is read-only (-R) or denies a request (-P), as exceptions.</summary>
[TestFixture]
public class SftpRestrictedServerTests
{
    private static async Task<(SshdServer, SshClient, SftpClient)> StartAsync(string subsystem)
    {
        var sshd = await SshdServer.StartAsync(o => o.SftpSubsystem = subsystem);
        var ssh = await SshClient.ConnectAsync(TestClients.Options(sshd), CancellationToken.None);
        var sftp = await ssh.OpenSftpAsync(CancellationToken.None);
        return (sshd, ssh, sftp);
    }

    /// <summary>
    /// A server with no sftp subsystem refuses the request: that refusal is what is reported, promptly, and the
    /// connection stays usable.
    /// </summary>
    [Test]
    public async Task ServerWithoutSftp_RefusesTheSubsystem_AndThatIsWhatIsReported()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var sshd = await SshdServer.StartAsync(o => o.SftpSubsystem = null);
        await using var ssh = await SshClient.ConnectAsync(TestClients.Options(sshd), cts.Token);
        var ex = Assert.ThrowsAsync<NativeSftp.Connection.SshChannelException>(async () => await ssh.OpenSftpAsync(cts.Token));
        Assert.That(ex!.Message, Does.Contain("refused the 'sftp' subsystem"));

        // Only that channel failed: the connection still runs commands.
        var run = await ssh.RunCommandAsync("echo still here", cts.Token);
        Assert.That(run.ExitStatus, Is.Zero);
        Assert.That(System.Text.Encoding.UTF8.GetString(run.Output).Trim(), Is.EqualTo("still here"));
    }

    [Test]
    public async Task ReadOnlyServer_RefusesWrites_WithPermissionDenied_AndUploadsFailLoudly()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var (sshd, ssh, sftp) = await StartAsync(SshdServer.SftpServerPath + " -R");
        await using (sshd)
        await using (ssh)
        await using (sftp)
        {
            string dir = sshd.Directory;
            var e1 = Assert.ThrowsAsync<SftpException>(async () => await sftp.OpenAsync(dir + "/new.bin", FileMode.Create, FileAccess.Write, cts.Token));
            Assert.That(e1!.StatusCode, Is.EqualTo(SftpStatusCode.PermissionDenied));
            Assert.That(e1.RequestType, Is.EqualTo("OPEN"));
            var e2 = Assert.ThrowsAsync<SftpException>(async () => await sftp.CreateDirectoryAsync(dir + "/d", null, cts.Token));
            Assert.That(e2!.StatusCode, Is.EqualTo(SftpStatusCode.PermissionDenied));

            string local = Path.Combine(dir, "local.bin");
            await File.WriteAllBytesAsync(local, new byte[100_000], cts.Token);
            var e3 = Assert.ThrowsAsync<SftpException>(async () => await sftp.UploadFileAsync(local, dir + "/up.bin", null, null, cts.Token));
            Assert.That(e3!.StatusCode, Is.EqualTo(SftpStatusCode.PermissionDenied));
            Assert.That(File.Exists(dir + "/up.bin"), Is.False);

            // Reads still work on a read-only server.
            Assert.That((await sftp.StatAsync(local, cts.Token)).Size, Is.EqualTo(100_000ul));
        }
    }

    [Test]
    public async Task DeniedRequest_IsPermissionDenied_NamingTheRequest()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        // -P denies requests by name: here every WRITE (OPEN for writing still succeeds).
        var (sshd, ssh, sftp) = await StartAsync(SshdServer.SftpServerPath + " -P write");
        await using (sshd)
        await using (ssh)
        await using (sftp)
        {
            var h = await sftp.OpenAsync(sshd.Directory + "/w.bin", FileMode.Create, FileAccess.Write, cts.Token);
            var e = Assert.ThrowsAsync<SftpException>(async () => await sftp.WriteAsync(h, 0, new byte[10], cts.Token));
            Assert.That(e!.StatusCode, Is.EqualTo(SftpStatusCode.PermissionDenied));
            Assert.That(e.RequestType, Is.EqualTo("WRITE"));
            await sftp.CloseAsync(h, cts.Token);

            string local = Path.Combine(sshd.Directory, "l.bin");
            await File.WriteAllBytesAsync(local, new byte[70_000], cts.Token);
            var t = Assert.ThrowsAsync<TransferException>(async () => await sftp.UploadFileAsync(local, sshd.Directory + "/up.bin", null, null, cts.Token));
            Assert.That(t!.FirstFailedOffset, Is.EqualTo(0));
            Assert.That(t.AcknowledgedOffset, Is.EqualTo(0));
            Assert.That(((SftpException)t.InnerException!).StatusCode, Is.EqualTo(SftpStatusCode.PermissionDenied));
            Assert.That(File.Exists(sshd.Directory + "/up.bin"), Is.False, "nothing under the final name");
        }
    }
}
