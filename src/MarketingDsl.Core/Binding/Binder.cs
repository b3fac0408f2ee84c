using System.Collections.Immutable;
using MarketingDsl.Core.Diagnostics;
using MarketingDsl.Core.Diagnostics.Catalogues;
using MarketingDsl.Core.Functions;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Core.Syntax;
using MarketingDsl.Core.Text;

namespace MarketingDsl.Core.Binding;

/// <summary>
/// Binds and checks a whole workspace: declares every name (any file, any order), resolves and
/// types every expression, detects cycles, and checks the rules of each declaration kind.
/// Split by topic into partial files: Binder_Expressions, Binder_Functions, Binder_Declarations.
/// Never throws on user input: problems are diagnostics and bound trees hold error nodes.
/// </summary>
internal sealed partial class Binder
{
    private readonly IReadOnlyList<SyntaxTree> _trees;
    private readonly List<Diagnostic> _diagnostics = [];
    // Tags, segments, segmentations, models and profile fields share one namespace.
    private readonly Dictionary<string, Symbol> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ChannelSymbol> _channels = new(StringComparer.Ordinal);
    private readonly Dictionary<string, JourneySymbol> _journeys = new(StringComparer.Ordinal);
    private readonly Dictionary<ComputedSymbol, BindState> _state = [];
    private readonly Dictionary<SyntaxNode, Symbol> _references = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<Symbol> _used = [];
    private readonly List<TagSymbol> _tags = [];
    private readonly List<SegmentSymbol> _segments = [];
    private readonly List<SegmentationSymbol> _segmentations = [];
    private readonly List<ModelSymbol> _models = [];
    /// <summary>Every `m.output` read, checked against the model's kind once models are bound (CheckModels).</summary>
    private readonly List<(SourceText File, TextSpan Span, ModelSymbol Model, ModelOutput Output)> _modelOutputUses = [];
    private readonly List<TestSymbol> _tests = [];
    private readonly Dictionary<Symbol, (SourceText File, DeclarationSyntax Syntax)> _declarations = [];
    private SchemaModel _schema = new([], [], []);
    private int _populationNodes;
    private int _splitCount;
    private readonly List<(JourneySymbol? Journey, BoundExpression Condition, SourceText File, TextSpan Span, ConditionPlace What)>
        _journeyConditions = [];

    private enum BindState { InProgress, Done }
    private List<ComputedSymbol> _bindingOrder = [];

    /// <summary>References that close a cycle, with the cycle as a marketer reads it ("a → b → a").</summary>
    private readonly Dictionary<NameExpressionSyntax, string> _cycleEdges = new(ReferenceEqualityComparer.Instance);

    private static readonly HashSet<string> DeclarationKeywords =
    [
        "schema", "settings", "tag", "segment", "segmentation", "model", "clusters", "recommender", "channel", "journey", "test",
    ];
    private readonly HashSet<SourceText> _filesWithSyntaxErrors;

    private readonly CustomFunctionSet _functions;
    private readonly Dictionary<string, CustomFunctionSymbol> _callableFunctions = new(StringComparer.Ordinal);

    public Binder(IReadOnlyList<SyntaxTree> trees, CustomFunctionSet functions)
    {
        _trees = trees;
        _functions = functions;
        _filesWithSyntaxErrors = [.. trees.Where(t => t.HasErrors).Select(t => t.Text)];
    }

    public (SemanticModel Model, IReadOnlyList<Diagnostic> Diagnostics) Bind()
    {
        BindSchema();
        DeclareSymbols();
        DeclareCustomFunctions();
        _bindingOrder = BindingOrder();
        foreach (var symbol in _bindingOrder) BindComputed(symbol);
        foreach (var model in _models) BindModel(model);
        CheckModels();
        foreach (var channel in _channels.Values) BindChannel(channel);
        foreach (var journey in _journeys.Values) BindJourney(journey);
        foreach (var test in _tests) BindTest(test);
        var order = EvaluationOrder();
        CheckJourneyConditions();
        ReportUnused();

        var outputIndex = 0;
        foreach (var s in _tags.Cast<ComputedSymbol>().Concat(_segments).Concat(_segmentations)) s.OutputIndex = outputIndex++;
        var semanticModel = new SemanticModel(_schema, [.. _tags], [.. _segments], [.. _segmentations], [.. _models],
            [.. _channels.Values], [.. _journeys.Values], [.. _tests], order, _populationNodes,
            _references.ToImmutableDictionary(ReferenceEqualityComparer.Instance));
        return (semanticModel, _diagnostics);
    }

    // ------------------------------------------------------------------ reporting helpers

    private void Report(DiagnosticMessage message, SourceText file, TextSpan span) =>
        _diagnostics.Add(Diagnostic.Create(message, file, span));

    private static SymbolLocation Loc(SourceText file, SyntaxNode node) => new(file, node.Span);

    // ------------------------------------------------------------------ schema

    private void BindSchema()
    {
        var profile = new List<FieldSymbol>();
        var identity = new List<string>();
        var events = new List<EventTypeSymbol>();
        var eventNames = new Dictionary<string, IdentifierSyntax>(StringComparer.Ordinal);
        string? timeZone = null;
        var sawProfile = false;
        var sawSchema = false;

        foreach (var tree in _trees)
        foreach (var declaration in tree.Root.Declarations)
        {
            var file = tree.Text;
            if (declaration is SettingsDeclarationSyntax settings)
            {
                foreach (var setting in settings.Settings)
                {
                    if (setting.Name.Text == "timezone")
                    {
                        if (setting.Value is LiteralExpressionSyntax { Value: string zone } && IsKnownTimeZone(zone)) timeZone = zone;
                        else Report(RuleErrors.UnknownTimeZone(file.ToString(setting.Value.Span)), file, setting.Value.Span);
                    }
                    else if (!setting.Name.IsMissing)
                    {
                        Report(NameErrors.UnknownSchemaSetting(setting.Name.Text, NameSuggestions.Closest(setting.Name.Text, ["timezone"])),
                            file, setting.Name.Span);
                    }
                }
                continue;
            }
            if (declaration is not SchemaDeclarationSyntax schema) continue;
            sawSchema = true;
            foreach (var member in schema.Members)
            {
                switch (member)
                {
                    case ProfileSchemaSyntax p:
                        if (sawProfile) Report(RuleErrors.ProfileDeclaredTwice(), file, p.Span);
                        sawProfile = true;
                        profile.AddRange(BindFields(file, p.Fields, isEvent: false));
                        break;
                    case IdentitySchemaSyntax i:
                        foreach (var key in i.Keys.Where(k => !k.IsMissing))
                        {
                            if (identity.Contains(key.Text)) Report(UsageWarnings.DuplicateIdentityKey(key.Text), file, key.Span);
                            else identity.Add(key.Text);
                        }
                        break;
                    case EventSchemaSyntax e when !e.Name.IsMissing:
                        if (eventNames.ContainsKey(e.Name.Text))
                        {
                            Report(NameErrors.DuplicateEventType(e.Name.Text), file, e.Name.Span);
                            break;
                        }
                        eventNames.Add(e.Name.Text, e.Name);
                        events.Add(new EventTypeSymbol(e.Name.Text, BindFields(file, e.Fields, isEvent: true)));
                        break;
                }
            }
        }

        if (!sawSchema && _trees.Any(t => t.Root.Declarations.Any(d =>
                d is TagDeclarationSyntax or SegmentDeclarationSyntax or SegmentationDeclarationSyntax)))
        {
            var first = _trees.First(t => t.Root.Declarations.Count() > 0);
            Report(RuleErrors.NoSchema(), first.Text, new TextSpan(0, 0));
        }
        else if (sawSchema && profile.Count > 0)
        {
            var keys = profile.Where(f => f.IsKey).ToList();
            if (keys.Count == 0 && !profile.Any(f => f.Name == "user_id"))
            {
                var tree = _trees.First(t => t.Root.Declarations.OfType<SchemaDeclarationSyntax>().Any());
                var p = tree.Root.Declarations.OfType<SchemaDeclarationSyntax>()
                    .SelectMany(s => s.Members).OfType<ProfileSchemaSyntax>().FirstOrDefault();
                Report(RuleErrors.NoProfileKey(), tree.Text, p?.Span ?? new TextSpan(0, 0));
            }
        }
        _schema = new SchemaModel(profile, identity, events, timeZone);
        foreach (var tree in _trees)
        foreach (var schema in tree.Root.Declarations.OfType<SchemaDeclarationSyntax>())
        foreach (var e in schema.Members.OfType<EventSchemaSyntax>())
            if (!e.Name.IsMissing) _references[e.Name] = new EventTypeRef(_schema.FindEvent(e.Name.Text)!, Loc(tree.Text, e.Name));
    }

    private static bool IsKnownTimeZone(string id)
    {
        // The id names a file under the zoneinfo folder: refuse anything that is not an IANA-shaped
        // name (`Asia/` is a folder, `../x` leaves it) before asking the system.
        if (!System.Text.RegularExpressions.Regex.IsMatch(id, @"^[A-Za-z0-9_+\-]+(/[A-Za-z0-9_+\-]+)*$")) return false;
        try
        {
            TimeZoneInfo.FindSystemTimeZoneById(id);
            return true;
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException or System.Security.SecurityException
                                       or UnauthorizedAccessException or IOException or ArgumentException)
        {
            return false;
        }
    }

    private List<FieldSymbol> BindFields(SourceText file, IEnumerable<FieldDeclarationSyntax> fields, bool isEvent)
    {
        var result = new List<FieldSymbol>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var keyCount = 0;
        foreach (var f in fields)
        {
            if (f.Name.IsMissing) continue;
            if (!seen.Add(f.Name.Text))
            {
                Report(NameErrors.DuplicateField(f.Name.Text), file, f.Name.Span);
                continue;
            }
            if (isEvent && f.Name.Text is "user_id" or "ts")
            {
                Report(NameErrors.ReservedName(f.Name.Text), file, f.Name.Span);
                continue;
            }
            var type = BindTypeReference(file, f.Type);
            if (type.IsList && type.Element is { IsList: true })
            {
                // Columns hold one list of scalars per row; a list of lists has no cell format in CSV or tags.csv.
                Report(RuleErrors.NestedListField(), file, f.Type.Span);
                type = DslType.Error;
            }
            if (type.IsList && f.IsUnique && isEvent) Report(RuleErrors.UniqueOnListField(), file, f.Type.Span);
            foreach (var m in f.Modifiers)
            {
                if (m.Text == "key" && isEvent) Report(RuleErrors.KeyOnEventField(), file, m.Span);
                if (m.Text == "unique" && !isEvent) Report(RuleErrors.UniqueOnProfileField(), file, m.Span);
            }
            if (f.IsKey && !isEvent)
            {
                keyCount++;
                if (keyCount > 1) Report(RuleErrors.SeveralKeys(), file, f.Name.Span);
                else if (type.Kind is not (TypeKind.String or TypeKind.Error)) Report(RuleErrors.KeyNotString(), file, f.Type.Span);
            }
            result.Add(new FieldSymbol(f.Name.Text, type, IsKey: f.IsKey && !isEvent, IsUnique: f.IsUnique && isEvent));
        }
        if (isEvent && result.Count(f => f.IsUnique) > 1)
        {
            var second = fields.Where(f => f.IsUnique).Skip(1).First();
            Report(RuleErrors.SeveralUniqueFields(), file, second.Name.Span);
        }
        return result;
    }

    private DslType BindTypeReference(SourceText file, TypeReferenceSyntax type)
    {
        if (type.Name.IsMissing) return DslType.Error;
        DslType result;
        if (type.Name.Text == "list")
        {
            if (type.Argument is null)
            {
                Report(NameErrors.ListWithoutElementType(), file, type.Span);
                return DslType.Error;
            }
            result = DslType.ListOf(BindTypeReference(file, type.Argument));
        }
        else if (DslType.FromName(type.Name.Text) is { } scalar)
        {
            if (type.Argument is not null) Report(NameErrors.ScalarWithElementType(type.Name.Text), file, type.Argument.Span);
            result = scalar;
        }
        else
        {
            Report(NameErrors.UnknownType(type.Name.Text, NameSuggestions.Closest(type.Name.Text, DslType.ScalarTypeNames.Append("list"))),
                file, type.Name.Span);
            return DslType.Error;
        }
        return result.WithNullable(type.Nullable);
    }

    // ------------------------------------------------------------------ declarations

    private void DeclareSymbols()
    {
        foreach (var f in _schema.ProfileFields) _values[f.Name] = new ProfileFieldSymbol(f);
        foreach (var tree in _trees)
        {
            var file = tree.Text;
            foreach (var declaration in tree.Root.Declarations)
            {
                if (declaration is TestDeclarationSyntax test)
                {
                    var symbol = new TestSymbol(test.Name.Text, Loc(file, test.Name)) { Documentation = test.Documentation };
                    if (_tests.Any(t => t.Name == symbol.Name))
                        Report(NameErrors.DuplicateTest(test.Name.Text), file, test.Name.Span);
                    _tests.Add(symbol);
                    _declarations[symbol] = (file, test);
                    continue;
                }
                if (declaration is not NamedDeclarationSyntax named || named.Name.IsMissing) continue;
                var name = named.Name.Text;
                var location = Loc(file, named.Name);
                var label = named.Label?.Text;
                Symbol declared;
                switch (declaration)
                {
                    case TagDeclarationSyntax:
                        var tag = new TagSymbol(name, location) { Label = label, Documentation = named.Documentation, Syntax = named };
                        if (!DeclareValue(file, named, tag)) continue;
                        _tags.Add(tag);
                        declared = tag;
                        break;
                    case SegmentDeclarationSyntax:
                        var segment = new SegmentSymbol(name, location) { Label = label, Documentation = named.Documentation, Syntax = named };
                        if (!DeclareValue(file, named, segment)) continue;
                        _segments.Add(segment);
                        declared = segment;
                        break;
                    case SegmentationDeclarationSyntax:
                        var segmentation = new SegmentationSymbol(name, location)
                        {
                            Label = label, Documentation = named.Documentation, Syntax = named,
                        };
                        if (!DeclareValue(file, named, segmentation)) continue;
                        _segmentations.Add(segmentation);
                        declared = segmentation;
                        break;
                    case ModelDeclarationSyntax m:
                        var model = new ModelSymbol(name, m.IsClusters ? SymbolKind.Clusters : SymbolKind.Model, location)
                        {
                            Label = label, Documentation = named.Documentation, Syntax = named,
                        };
                        if (!DeclareValue(file, named, model)) continue;
                        _models.Add(model);
                        declared = model;
                        break;
                    case RecommenderDeclarationSyntax:
                        var recommender = new ModelSymbol(name, SymbolKind.Recommender, location)
                        {
                            Label = label, Documentation = named.Documentation, Syntax = named,
                        };
                        if (!DeclareValue(file, named, recommender)) continue;
                        _models.Add(recommender);
                        declared = recommender;
                        break;
                    case ChannelDeclarationSyntax:
                        if (_channels.ContainsKey(name))
                        {
                            Report(NameErrors.DuplicateChannel(name), file, named.Name.Span);
                            continue;
                        }
                        declared = _channels[name] = new ChannelSymbol(name, location) { Label = label, Documentation = named.Documentation };
                        break;
                    case JourneyDeclarationSyntax:
                        if (_journeys.ContainsKey(name))
                        {
                            Report(NameErrors.DuplicateJourney(name), file, named.Name.Span);
                            continue;
                        }
                        declared = _journeys[name] = new JourneySymbol(name, location) { Label = label, Documentation = named.Documentation };
                        break;
                    default:
                        continue;
                }
                _declarations[declared] = (file, declaration);
                _references[named.Name] = declared;
            }
        }
    }

    private bool DeclareValue(SourceText file, NamedDeclarationSyntax named, Symbol symbol)
    {
        if (_values.TryGetValue(symbol.Name, out var existing))
        {
            var kind = existing switch
            {
                ProfileFieldSymbol => DeclarationKind.ProfileField,
                TagSymbol => DeclarationKind.Tag,
                SegmentSymbol => DeclarationKind.Segment,
                SegmentationSymbol => DeclarationKind.Segmentation,
                _ => DeclarationKind.Model,
            };
            var where = existing.Location is { } l ? $"{l.File.Path}:{l.Start.Line}" : null;
            Report(NameErrors.DuplicateName(symbol.Name, kind, where), file, named.Name.Span);
            return false;
        }
        _values[symbol.Name] = symbol;
        return true;
    }

    // ------------------------------------------------------------------ computed symbols (tags, segments, segmentations)

    /// <summary>Binds a computed symbol once; a reference back into one still being bound is a cycle.</summary>
    private void BindComputed(ComputedSymbol symbol)
    {
        if (_state.TryGetValue(symbol, out var state))
        {
            return;
        }
        _state[symbol] = BindState.InProgress;
        var (file, syntax) = _declarations[symbol];
        var scope = new Scope(file, Owner: symbol);
        switch (symbol)
        {
            case TagSymbol tag:
                var body = BindExpression(((TagDeclarationSyntax)syntax).Expression, scope);
                if (body.Type.Kind == TypeKind.Null)
                {
                    Report(TypeErrors.TagAlwaysNull(), file, ((TagDeclarationSyntax)syntax).Expression.Span);
                    body = new BoundErrorExpression();
                }
                tag.Body = body;
                tag.Type = body.Type.NonNullable;
                break;
            case SegmentSymbol segment:
                segment.Condition = BindCondition(((SegmentDeclarationSyntax)syntax).Expression, scope, ConditionPlace.Segment);
                segment.Type = DslType.Bool;
                break;
            case SegmentationSymbol segmentation:
                BindSegmentation(segmentation, (SegmentationDeclarationSyntax)syntax, scope);
                segmentation.Type = DslType.String;
                break;
        }
        symbol.Dependencies = [.. scope.Dependencies];
        _state[symbol] = BindState.Done;
    }

    private void BindSegmentation(SegmentationSymbol symbol, SegmentationDeclarationSyntax syntax, Scope scope)
    {
        var rules = ImmutableArray.CreateBuilder<SegmentationRule>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        var seenElse = false;
        var alwaysTrueAt = (string?)null;
        var conditions = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var rule in syntax.Rules)
        {
            if (rule.Name.IsMissing) continue;
            if (!names.Add(rule.Name.Text))
                Report(RuleErrors.DuplicateRuleName(rule.Name.Text, symbol.Name), scope.File, rule.Name.Span);
            if (seenElse)
            {
                Report(RuleErrors.ElseNotLast(), scope.File, rule.Span);
            }
            else if (alwaysTrueAt is not null && !rule.IsElse)
            {
                Report(RuleErrors.UnreachableRule(rule.Name.Text, alwaysTrueAt), scope.File, rule.Span);
            }
            BoundExpression? condition = null;
            if (rule.Condition is not null)
            {
                condition = BindCondition(rule.Condition, scope, ConditionPlace.SegmentationRule);
                var text = scope.File.ToString(rule.Condition.Span);
                var normalized = string.Join(" ", text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
                if (!seenElse && alwaysTrueAt is null && conditions.TryGetValue(normalized, out var earlier))
                    Report(RuleErrors.DuplicateRuleCondition(rule.Name.Text, earlier), scope.File, rule.Span);
                conditions.TryAdd(normalized, rule.Name.Text);
                if (condition is BoundLiteral { Value: true }) alwaysTrueAt ??= rule.Name.Text;
            }
            else seenElse = true;
            rules.Add(new SegmentationRule(rule.Name.Text, rule.Label?.Text, condition, Loc(scope.File, rule.Name)));
            _references[rule.Name] = symbol;
        }
        if (!seenElse)
            Report(RuleErrors.MissingElse(symbol.Name), scope.File, syntax.Name.Span);
        symbol.Rules = rules.ToImmutable();
    }

    /// <summary>
    /// Computed symbols with everything they name first, found from the syntax before binding,
    /// so that binding a reference never has to bind its target on the spot: a chain of
    /// thousands of tags, in any declaration order, binds without deep recursion. References
    /// that close a cycle are recorded and reported when bound.
    /// </summary>
    private List<ComputedSymbol> BindingOrder()
    {
        var all = _tags.Cast<ComputedSymbol>().Concat(_segments).Concat(_segmentations).ToList();
        var edges = all.ToDictionary(s => s, SyntacticReferences);
        var order = new List<ComputedSymbol>(all.Count);
        var state = new Dictionary<ComputedSymbol, bool>(); // false: on the DFS path, true: finished
        var path = new List<ComputedSymbol>();
        foreach (var root in all)
        {
            if (state.ContainsKey(root)) continue;
            var stack = new Stack<(ComputedSymbol Symbol, int Next)>();
            stack.Push((root, 0));
            state[root] = false;
            path.Add(root);
            while (stack.Count > 0)
            {
                var (symbol, next) = stack.Pop();
                var references = edges[symbol];
                if (next < references.Count)
                {
                    stack.Push((symbol, next + 1));
                    var (name, target) = references[next];
                    if (!state.TryGetValue(target, out var finished))
                    {
                        state[target] = false;
                        path.Add(target);
                        stack.Push((target, 0));
                    }
                    else if (!finished)
                    {
                        var cycle = path.Skip(path.IndexOf(target)).Select(s => s.Name).Append(target.Name);
                        _cycleEdges.TryAdd(name, string.Join(" → ", cycle));
                    }
                    continue;
                }
                state[symbol] = true;
                path.RemoveAt(path.Count - 1);
                order.Add(symbol);
            }
        }
        return order;
    }

    /// <summary>Names in a declaration that resolve to tags, segments or segmentations (not inside where:, which sees event fields).</summary>
    private List<(NameExpressionSyntax Name, ComputedSymbol Target)> SyntacticReferences(ComputedSymbol symbol)
    {
        var result = new List<(NameExpressionSyntax, ComputedSymbol)>();
        var stack = new Stack<ExpressionSyntax>();
        switch (_declarations[symbol].Syntax)
        {
            case TagDeclarationSyntax t: stack.Push(t.Expression); break;
            case SegmentDeclarationSyntax g: stack.Push(g.Expression); break;
            case SegmentationDeclarationSyntax g: foreach (var r in g.Rules) if (r.Condition is not null) stack.Push(r.Condition); break;
        }
        while (stack.Count > 0)
        {
            var node = stack.Pop();
            if (node is NameExpressionSyntax n && _values.TryGetValue(n.Name.Text, out var target) && target is ComputedSymbol computed)
                result.Add((n, computed));
            var children = node is CallExpressionSyntax call
                ? call.Arguments.Where(a => a.Name?.Text != "where").Select(a => a.Value)
                : ExpressionDepth.Children(node);
            foreach (var child in children) stack.Push(child);
        }
        result.Reverse(); // source order, so the first reference of a cycle is the one reported
        return result;
    }

    private ImmutableArray<ComputedSymbol> EvaluationOrder()
    {
        // Phases: a symbol is in the phase after any population function it contains, after the
        // scoring of any model it reads (which follows the phase of the model's features), and
        // not before its dependencies. Binding order puts dependencies first, but not a model's
        // features (models are bound last), so phases are assigned until none changes; a model
        // that depends on itself is reported by CheckModels and only bounds the passes here.
        for (var pass = 0; pass <= _bindingOrder.Count + 1; pass++)
        {
            var changed = false;
            foreach (var s in _bindingOrder)
            {
                var phase = s.Dependencies.Select(d => d.Phase).DefaultIfEmpty(0).Max();
                foreach (var root in RootsOf(s))
                    phase = Math.Max(phase, BoundTree.PhaseOf(root));
                foreach (var q in PopulationNodes(s))
                    phase = Math.Max(phase, 1 + BoundTree.PhaseOf(q.Value));
                phase = Math.Min(phase, 1000);
                if (phase != s.Phase) { s.Phase = phase; changed = true; }
            }
            if (!changed) break;
        }
        return [.. _bindingOrder.OrderBy(s => s.Phase)];
    }

    private static IEnumerable<BoundExpression> RootsOf(ComputedSymbol s) => s switch
    {
        TagSymbol t => [t.Body],
        SegmentSymbol g => [g.Condition],
        SegmentationSymbol g => g.Rules.Where(r => r.Condition is not null).Select(r => r.Condition!),
        _ => [],
    };

    private static IEnumerable<BoundQuantileScore> PopulationNodes(ComputedSymbol s) =>
        RootsOf(s).SelectMany(BoundTree.Descendants).OfType<BoundQuantileScore>();

    private void ReportUnused()
    {
        foreach (var channel in _channels.Values.Where(c => !_used.Contains(c)))
        {
            var (file, syntax) = _declarations[channel];
            Report(UsageWarnings.UnusedChannel(channel.Name), file, ((NamedDeclarationSyntax)syntax).Name.Span);
        }
        foreach (var model in _models.Where(m => !_used.Contains(m) && !m.IsRecommender))
        {
            var (file, syntax) = _declarations[model];
            Report(UsageWarnings.UnusedModel(model.Name, model.IsClusters), file, ((NamedDeclarationSyntax)syntax).Name.Span);
        }
    }
}

/// <summary>A profile field seen as a name in expressions.</summary>
public sealed class ProfileFieldSymbol(FieldSymbol field) : Symbol(field.Name, SymbolKind.ProfileField, null)
{
    public FieldSymbol Field { get; } = field;
}
