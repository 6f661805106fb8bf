namespace NativeSftp.Tests.Cli;

/// <summary>
/// put -r's workers connect at the same time, and each connection loads the key files. On a terminal each load used
/// to ask for the passphrase itself: four prompts over each other, keystrokes split between them. The CLI's
/// passphrase provider asks once per key file for the whole command; the other connections wait for that answer.
/// </summary>
[TestFixture]
public sealed class PassphrasePromptTests
{
    [Test]
    public async Task OncePerKey_ManyConnectionsAtOnce_AskOncePerFile_AndAllGetTheAnswer()
    {
        int asked = 0;
        var inPrompt = new ManualResetEventSlim();
        var release = new ManualResetEventSlim();
        Func<string, string?> ask = path =>
        {
            Interlocked.Increment(ref asked);
            inPrompt.Set();
            release.Wait(TimeSpan.FromSeconds(10)); // a person typing
            return "answer for " + path;
        };
        var provider = (Func<string, string?>)CliAssembly.InvokeStatic("Connect.ClientOptionsBuilder", "OncePerKey", ask)!;

        var workers = Enumerable.Range(0, 6).Select(_ => Task.Run(() => provider("/home/u/.ssh/id_ed25519"))).ToArray();
        Assert.That(inPrompt.Wait(TimeSpan.FromSeconds(10)), Is.True);
        await Task.Delay(200); // the other workers arrive meanwhile and must wait, not prompt
        Assert.That(Volatile.Read(ref asked), Is.EqualTo(1), "one question on the terminal at a time");
        release.Set();
        string?[] answers = await Task.WhenAll(workers);

        Assert.That(answers, Has.All.EqualTo("answer for /home/u/.ssh/id_ed25519"));
        Assert.That(asked, Is.EqualTo(1));
        Assert.That(provider("/home/u/.ssh/id_rsa"), Is.EqualTo("answer for /home/u/.ssh/id_rsa"), "another key file is asked about");
        Assert.That(asked, Is.EqualTo(2));
    }
}
