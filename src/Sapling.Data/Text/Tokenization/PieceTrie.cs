namespace Sapling.Data.Text.Tokenization;

/// <summary>
/// A prefix trie of vocabulary pieces over UTF-16 characters, walked one character at a time to find every piece that
/// starts at a position (Unigram's lattice, in the model and in its trainer).
/// </summary>
internal sealed class PieceTrie
{
    private readonly Dictionary<long, int> children = []; // (node << 16 | char) → child node
    private readonly List<int> nodePiece = [-1];          // the piece ending at each node, or -1; node 0 is the root

    public void Add(string piece, int id)
    {
        if (piece.Length == 0) return;
        int node = 0;
        foreach (char c in piece)
        {
            long key = ((long)node << 16) | c;
            if (!children.TryGetValue(key, out int child))
            {
                child = nodePiece.Count;
                nodePiece.Add(-1);
                children[key] = child;
            }
            node = child;
        }
        nodePiece[node] = id;
    }

    /// <summary>Moves <paramref name="node"/> along <paramref name="c"/>; false when no piece continues that way.</summary>
    public bool TryStep(ref int node, char c) => children.TryGetValue(((long)node << 16) | c, out node);

    /// <summary>The id of the piece that ends at the node, or -1.</summary>
    public int PieceAt(int node) => nodePiece[node];
}
