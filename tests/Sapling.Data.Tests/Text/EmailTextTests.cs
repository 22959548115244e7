using Sapling.Data.Text;

namespace Sapling.Data.Tests.Text;

public sealed class EmailTextTests
{
    [Fact]
    public void HeadersGoTheSubjectStaysAndPlainTextIsUntouched()
    {
        const string raw = "From x@y  Thu Aug 22 2002\nReturn-Path: <x@y>\nSubject: Cheap pills\nTo: z\n\nBuy now!\n";
        Assert.Equal("Cheap pills\n\nBuy now!", EmailText.StripHeaders(raw));
        Assert.Equal("just a note\n\nwith a gap", EmailText.StripHeaders("just a note\n\nwith a gap"));
        Assert.Equal("Folded subject line\n\nbody", EmailText.StripHeaders("Subject: Folded\n subject line\nTo: a\n\nbody"));
    }

    [Fact]
    public void MultipartBodiesKeepOnlyTheTextOfTheirPartsDecoded()
    {
        string raw = "Subject: Hello\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative;\r\n\tboundary=\"b1\"\r\n\r\n" +
            "This is a multi-part message in MIME format.\r\n\r\n--b1\r\nContent-Type: text/plain; charset=\"iso-8859-1\"\r\n" +
            "Content-Transfer-Encoding: quoted-printable\r\n\r\nCaf=E9 at noon,=20\r\nsoft=\r\nbreak\r\n--b1\r\n" +
            "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
            Convert.ToBase64String("<b>héllo</b>"u8.ToArray()) + "\r\n--b1--\r\nepilogue\r\n";
        Assert.Equal("Hello\n\nCafé at noon, \nsoftbreak\n\n<b>héllo</b>", EmailText.StripHeaders(raw));
    }

    [Fact]
    public void NestedPartsAreFollowedAndAttachmentsBecomeAMarker()
    {
        const string raw = "Subject: Pics\nContent-Type: multipart/mixed; boundary=outer\n\n--outer\n" +
            "Content-Type: multipart/alternative; boundary=inner\n\n--inner\nContent-Type: text/plain\n\nsee attached\n--inner--\n" +
            "--outer\nContent-Type: image/gif; name=a.gif\nContent-Transfer-Encoding: base64\n\nR0lGODlhAQABAAAAACw=\n--outer\n\nno headers here: plain text\n--outer--\n";
        Assert.Equal("Pics\n\nsee attached\n\n[attachment image/gif]\n\nno headers here: plain text", EmailText.StripHeaders(raw));
    }

    [Fact]
    public void BrokenMimeNeverThrowsAndKeepsWhatCanBeRead()
    {
        // No closing boundary (a truncated message): the last part is kept.
        Assert.Equal("S\n\ncut short", EmailText.StripHeaders("Subject: S\nContent-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/plain\n\ncut short"));
        // A boundary that never occurs: the body is all there is.
        Assert.Equal("S\n\nbody text", EmailText.StripHeaders("Subject: S\nContent-Type: multipart/mixed; boundary=zzz\n\nbody text"));
        // Malformed quoted-printable and base64 are kept as written; an unknown charset reads as Latin-1.
        Assert.Equal("S\n\n=ZZ and =4", EmailText.StripHeaders("Subject: S\nContent-Transfer-Encoding: quoted-printable\n\n=ZZ and =4"));
        Assert.Equal("S\n\nnot base64!", EmailText.StripHeaders("Subject: S\nContent-Transfer-Encoding: base64\n\nnot base64!"));
        Assert.Equal("S\n\né", EmailText.StripHeaders("Subject: S\nContent-Type: text/plain; charset=x-unknown\nContent-Transfer-Encoding: quoted-printable\n\n=E9"));
    }

    [Fact]
    public void QuotedPrintableFollowsRfc2045()
    {
        Assert.Equal("a=b c\nd", TransferEncoding.DecodeQuotedPrintable("a=3Db c\nd", null));
        Assert.Equal("line one continues", TransferEncoding.DecodeQuotedPrintable("line one =\ncontinues", null));
        Assert.Equal("€", TransferEncoding.DecodeQuotedPrintable("=E2=82=AC", "utf-8"));
    }

    [Fact]
    public void ForwardedMessagesEncodedSubjectsAndCodePagesReadAsAMailReaderShowsThem()
    {
        const string forwarded = "Subject: Fwd: offer\nContent-Type: multipart/mixed; boundary=m\n\n--m\nContent-Type: text/plain\n\nsee below\n" +
            "--m\nContent-Type: message/rfc822\n\nFrom: a@b\nSubject: Inner\nContent-Transfer-Encoding: quoted-printable\n\nwin =E9t=E9\n--m--\n";
        Assert.Equal("Fwd: offer\n\nsee below\n\nInner\n\nwin été", EmailText.StripHeaders(forwarded));
        // RFC 2047 words (the blank between two of them goes), Windows code pages, raw 8-bit text in a quoted-printable part.
        Assert.Equal("Re: café time élève!", EmailText.StripHeaders("Subject: Re: =?utf-8?Q?caf=C3=A9?= time =?utf-8?B?w6k=?= =?iso-8859-1?Q?l=E8ve!?=\nTo: x\n\n").Split('\n')[0]);
        Assert.Equal("S\n\n\u20ac 5 and naïve", EmailText.StripHeaders("Subject: S\nContent-Type: text/plain; charset=windows-1252\nContent-Transfer-Encoding: quoted-printable\n\n=80 5 and naïve"));
        // Base64 that lost its padding still decodes.
        Assert.Equal("S\n\nhi!", EmailText.StripHeaders("Subject: S\nContent-Transfer-Encoding: base64\n\naGkh\n"));
        Assert.Equal("S\n\nhi", EmailText.StripHeaders("Subject: S\nContent-Transfer-Encoding: base64\n\naGk\n"));
        // A first line that merely looks like a header is a sentence when no real header follows.
        Assert.Equal("Re: your order\n\nThanks", EmailText.StripHeaders("Re: your order\n\nThanks"));
    }
}
