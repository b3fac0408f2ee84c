using System.Collections.Immutable;
using MarketingDsl.Core.Text;

namespace MarketingDsl.Core.Syntax;

/// <summary>Every node of our own syntax tree: immutable, with the span of source it came from.</summary>
public abstract record SyntaxNode(TextSpan Span);

/// <summary>A name as written. An identifier that the parser had to invent during error recovery is `IsMissing`.</summary>
public sealed record IdentifierSyntax(string Text, TextSpan Span) : SyntaxNode(Span)
{
    public bool IsMissing => Text.Length == 0;
    public override string ToString() => Text;
}

/// <summary>A duration written as `30d 12h`; <see cref="Ticks"/> is its exact length.</summary>
public sealed record DurationSyntax(string Text, long Ticks, TextSpan Span) : SyntaxNode(Span);

// ------------------------------------------------------------------ expressions

public abstract record ExpressionSyntax(TextSpan Span) : SyntaxNode(Span);

public enum LiteralKind { Int, Decimal, String, Bool, Null, Date, DateTime, Duration }

/// <summary>A literal with its parsed value: long, decimal, string, bool, null, DateOnly, DateTime (UTC), or long ticks for a duration.</summary>
public sealed record LiteralExpressionSyntax(LiteralKind Kind, string Text, object? Value, TextSpan Span) : ExpressionSyntax(Span);

public sealed record NameExpressionSyntax(IdentifierSyntax Name) : ExpressionSyntax(Name.Span);

public sealed record MemberAccessExpressionSyntax(ExpressionSyntax Target, IdentifierSyntax Member, TextSpan Span) : ExpressionSyntax(Span);

/// <summary>A member call such as `picks.related(sku, 3)`: only a recommender has callable members.</summary>
public sealed record MemberCallExpressionSyntax(
    ExpressionSyntax Target,
    IdentifierSyntax Member,
    ImmutableArray<ArgumentSyntax> Arguments,
    TextSpan Span)
    : ExpressionSyntax(Span);

public sealed record ArgumentSyntax(IdentifierSyntax? Name, ExpressionSyntax Value, TextSpan Span) : SyntaxNode(Span);

public sealed record CallExpressionSyntax(IdentifierSyntax Function, ImmutableArray<ArgumentSyntax> Arguments, TextSpan Span)
    : ExpressionSyntax(Span);

public enum UnaryOperator { Negate, Not }

public sealed record UnaryExpressionSyntax(UnaryOperator Operator, ExpressionSyntax Operand, TextSpan Span) : ExpressionSyntax(Span);

public enum BinaryOperator { Or, And, Equal, NotEqual, Less, LessOrEqual, Greater, GreaterOrEqual, Coalesce, Add, Subtract, Multiply, Divide }

public sealed record BinaryExpressionSyntax(
    BinaryOperator Operator,
    ExpressionSyntax Left,
    ExpressionSyntax Right,
    TextSpan OperatorSpan,
    TextSpan Span)
    : ExpressionSyntax(Span);

public sealed record InExpressionSyntax(ExpressionSyntax Value, ExpressionSyntax Collection, bool Negated, TextSpan Span) : ExpressionSyntax(Span);

public sealed record BetweenExpressionSyntax(ExpressionSyntax Value, ExpressionSyntax Low, ExpressionSyntax High, bool Negated, TextSpan Span)
    : ExpressionSyntax(Span);

public sealed record IsNullExpressionSyntax(ExpressionSyntax Operand, bool Negated, TextSpan Span) : ExpressionSyntax(Span);

public sealed record ParenthesizedExpressionSyntax(ExpressionSyntax Inner, TextSpan Span) : ExpressionSyntax(Span);

public sealed record ListExpressionSyntax(ImmutableArray<ExpressionSyntax> Items, TextSpan Span) : ExpressionSyntax(Span);

public sealed record CaseWhenSyntax(ExpressionSyntax Condition, ExpressionSyntax Result, TextSpan Span) : SyntaxNode(Span);

public sealed record CaseExpressionSyntax(ImmutableArray<CaseWhenSyntax> Whens, ExpressionSyntax? Else, TextSpan Span) : ExpressionSyntax(Span);

/// <summary>`next 90d`: a window looking forward from the cutoff, allowed only in a model's `predict:`.</summary>
public sealed record NextWindowExpressionSyntax(DurationSyntax Duration, TextSpan Span) : ExpressionSyntax(Span);

/// <summary>Where the parser could not make an expression; the syntax error is already reported.</summary>
public sealed record ErrorExpressionSyntax(TextSpan Span) : ExpressionSyntax(Span);

// ------------------------------------------------------------------ declarations

public sealed record WorkspaceFileSyntax(ImmutableArray<DeclarationSyntax> Declarations, TextSpan Span) : SyntaxNode(Span);

public abstract record DeclarationSyntax(TextSpan Span) : SyntaxNode(Span)
{
    /// <summary>Text of the `///` comments right above the declaration, without the slashes; null when none.</summary>
    public string? Documentation { get; init; }
}

/// <summary>A declaration with a name and an optional display label (`tag high_value "高价值用户" = …`).</summary>
public abstract record NamedDeclarationSyntax(IdentifierSyntax Name, LabelSyntax? Label, TextSpan Span) : DeclarationSyntax(Span);

public sealed record LabelSyntax(string Text, TextSpan Span) : SyntaxNode(Span);

public sealed record TypeReferenceSyntax(IdentifierSyntax Name, TypeReferenceSyntax? Argument, bool Nullable, TextSpan Span) : SyntaxNode(Span);

public sealed record FieldDeclarationSyntax(
    IdentifierSyntax Name,
    TypeReferenceSyntax Type,
    ImmutableArray<IdentifierSyntax> Modifiers,
    TextSpan Span)
    : SyntaxNode(Span)
{
    public bool IsKey => Modifiers.Any(m => m.Text == "key");
    public bool IsUnique => Modifiers.Any(m => m.Text == "unique");
}

public abstract record SchemaMemberSyntax(TextSpan Span) : SyntaxNode(Span);
public sealed record ProfileSchemaSyntax(ImmutableArray<FieldDeclarationSyntax> Fields, TextSpan Span) : SchemaMemberSyntax(Span);
public sealed record IdentitySchemaSyntax(ImmutableArray<IdentifierSyntax> Keys, TextSpan Span) : SchemaMemberSyntax(Span);
public sealed record EventSchemaSyntax(IdentifierSyntax Name, ImmutableArray<FieldDeclarationSyntax> Fields, TextSpan Span)
    : SchemaMemberSyntax(Span);

public sealed record SchemaDeclarationSyntax(ImmutableArray<SchemaMemberSyntax> Members, TextSpan Span) : DeclarationSyntax(Span);

/// <summary>A property value: a literal, or a bare word (a <see cref="NameExpressionSyntax"/>) such as `fasttree`.</summary>
public sealed record SettingSyntax(IdentifierSyntax Name, ExpressionSyntax Value, TextSpan Span) : SyntaxNode(Span);
public sealed record SettingsDeclarationSyntax(ImmutableArray<SettingSyntax> Settings, TextSpan Span) : DeclarationSyntax(Span);

public sealed record TagDeclarationSyntax(IdentifierSyntax Name, LabelSyntax? Label, ExpressionSyntax Expression, TextSpan Span)
    : NamedDeclarationSyntax(Name, Label, Span);

public sealed record SegmentDeclarationSyntax(IdentifierSyntax Name, LabelSyntax? Label, ExpressionSyntax Expression, TextSpan Span)
    : NamedDeclarationSyntax(Name, Label, Span);

/// <summary>One rule of a segmentation; <see cref="Condition"/> is null for the `else` rule.</summary>
public sealed record SegmentationRuleSyntax(IdentifierSyntax Name, LabelSyntax? Label, ExpressionSyntax? Condition, TextSpan Span) : SyntaxNode(Span)
{
    public bool IsElse => Condition is null;
}

public sealed record SegmentationDeclarationSyntax(
    IdentifierSyntax Name,
    LabelSyntax? Label,
    ImmutableArray<SegmentationRuleSyntax> Rules,
    TextSpan Span)
    : NamedDeclarationSyntax(Name, Label, Span);

public abstract record ModelPropertySyntax(TextSpan Span) : SyntaxNode(Span);
public sealed record PredictPropertySyntax(ExpressionSyntax Label, TextSpan Span) : ModelPropertySyntax(Span);
public sealed record FeaturesPropertySyntax(ImmutableArray<ExpressionSyntax> Features, TextSpan Span) : ModelPropertySyntax(Span);
public sealed record ModelOptionSyntax(IdentifierSyntax Name, ExpressionSyntax Value, TextSpan Span) : ModelPropertySyntax(Span);

/// <summary>`model` (a classifier) or `clusters` (k-means++).</summary>
public sealed record ModelDeclarationSyntax(
    bool IsClusters,
    IdentifierSyntax Name,
    LabelSyntax? Label,
    ImmutableArray<ModelPropertySyntax> Properties,
    TextSpan Span)
    : NamedDeclarationSyntax(Name, Label, Span);

/// <summary>One value of a recommender property: an expression and, for `signals:`, the weight written after it (`view 1`).</summary>
public sealed record RecommenderValueSyntax(ExpressionSyntax Value, LiteralExpressionSyntax? Weight, TextSpan Span) : SyntaxNode(Span);
public sealed record RecommenderPropertySyntax(IdentifierSyntax Name, ImmutableArray<RecommenderValueSyntax> Values, TextSpan Span)
    : SyntaxNode(Span);

/// <summary>`recommender NAME { items: order.sku  signals: view 1, order 5  within: 180d  k: 10 }` (LANGUAGE.md §13).</summary>
public sealed record RecommenderDeclarationSyntax(
    IdentifierSyntax Name,
    LabelSyntax? Label,
    ImmutableArray<RecommenderPropertySyntax> Properties,
    TextSpan Span)
    : NamedDeclarationSyntax(Name, Label, Span);

public abstract record ChannelPropertySyntax(TextSpan Span) : SyntaxNode(Span);
public sealed record CapPropertySyntax(long Count, TextSpan CountSpan, DurationSyntax Window, TextSpan Span) : ChannelPropertySyntax(Span);
/// <summary>`quiet: 22:00-08:00`; minutes after midnight; the window may wrap past midnight.</summary>
public sealed record QuietPropertySyntax(int FromMinute, int ToMinute, string FromText, string ToText, TextSpan Span) : ChannelPropertySyntax(Span);
public sealed record ChannelOptionSyntax(IdentifierSyntax Name, ExpressionSyntax Value, TextSpan Span) : ChannelPropertySyntax(Span);

public sealed record ChannelDeclarationSyntax(
    IdentifierSyntax Name,
    LabelSyntax? Label,
    ImmutableArray<ChannelPropertySyntax> Properties,
    TextSpan Span)
    : NamedDeclarationSyntax(Name, Label, Span);

public abstract record TriggerSyntax(TextSpan Span) : SyntaxNode(Span);
public sealed record EventTriggerSyntax(IdentifierSyntax Event, ExpressionSyntax? Where, TextSpan Span) : TriggerSyntax(Span);
/// <summary>`every day at 10:00`, `every monday at 09:00`; <see cref="AtMinute"/> is minutes after midnight.</summary>
public sealed record CalendarTriggerSyntax(IdentifierSyntax Period, int? AtMinute, string? AtText, TextSpan Span) : TriggerSyntax(Span);
public sealed record IntervalTriggerSyntax(DurationSyntax Interval, TextSpan Span) : TriggerSyntax(Span);
public sealed record SegmentTriggerSyntax(bool Enters, IdentifierSyntax Segment, TextSpan Span) : TriggerSyntax(Span);

public abstract record JourneyPropertySyntax(TextSpan Span) : SyntaxNode(Span);
public sealed record TriggerPropertySyntax(TriggerSyntax Trigger, TextSpan Span) : JourneyPropertySyntax(Span);
public sealed record AudiencePropertySyntax(ExpressionSyntax Condition, TextSpan Span) : JourneyPropertySyntax(Span);
/// <summary>`reentry: once`, `once per 7d` (Window set) or `always`.</summary>
public sealed record ReentryPropertySyntax(bool Always, DurationSyntax? Window, TextSpan Span) : JourneyPropertySyntax(Span);
/// <summary>`goal: EVENT [where P] within D [value FIELD]`: FIELD, a number field of EVENT, is the revenue of a conversion.</summary>
public sealed record GoalPropertySyntax(
    IdentifierSyntax Event,
    ExpressionSyntax? Where,
    DurationSyntax Window,
    TextSpan Span,
    IdentifierSyntax? ValueField = null)
    : JourneyPropertySyntax(Span);
public sealed record HoldoutPropertySyntax(decimal Percent, TextSpan Span) : JourneyPropertySyntax(Span);

public abstract record StepSyntax(TextSpan Span) : SyntaxNode(Span);
public sealed record StepBlockSyntax(ImmutableArray<StepSyntax> Steps, TextSpan Span) : SyntaxNode(Span);
public sealed record WaitStepSyntax(DurationSyntax Duration, IdentifierSyntax? UntilEvent, ExpressionSyntax? Where, TextSpan Span) : StepSyntax(Span);
/// <summary>`send CH "template" [offer "o"] [items: LIST]`: the items expression is evaluated when the message goes.</summary>
public sealed record SendStepSyntax(IdentifierSyntax Channel, LabelSyntax Template, LabelSyntax? Offer, TextSpan Span, ExpressionSyntax? Items = null)
    : StepSyntax(Span);
/// <summary>`if C { … } else …`: the else part is a block, or another if step for `else if`.</summary>
public sealed record IfStepSyntax(ExpressionSyntax Condition, StepBlockSyntax Then, StepBlockSyntax? Else, IfStepSyntax? ElseIf, TextSpan Span)
    : StepSyntax(Span);
public sealed record SplitBranchSyntax(decimal Percent, TextSpan PercentSpan, StepBlockSyntax Body, bool IsBraced, TextSpan Span) : SyntaxNode(Span);
public sealed record SplitStepSyntax(LabelSyntax? Name, DurationSyntax? WinnerAfter, ImmutableArray<SplitBranchSyntax> Branches, TextSpan Span)
    : StepSyntax(Span);
public sealed record ExitStepSyntax(TextSpan Span) : StepSyntax(Span);

public sealed record JourneyDeclarationSyntax(
    IdentifierSyntax Name,
    LabelSyntax? Label,
    ImmutableArray<JourneyPropertySyntax> Properties,
    StepBlockSyntax? Steps,
    TextSpan Span)
    : NamedDeclarationSyntax(Name, Label, Span);

public abstract record TestStatementSyntax(TextSpan Span) : SyntaxNode(Span);
public sealed record ObjectFieldSyntax(IdentifierSyntax Name, ExpressionSyntax Value, TextSpan Span) : SyntaxNode(Span);
/// <summary>`given profile { … }` or `given EVENT { … }`.</summary>
public sealed record GivenStatementSyntax(IdentifierSyntax Kind, ImmutableArray<ObjectFieldSyntax> Fields, TextSpan Span) : TestStatementSyntax(Span);
public sealed record AsOfStatementSyntax(LiteralExpressionSyntax Instant, TextSpan Span) : TestStatementSyntax(Span);
public sealed record ExpectStatementSyntax(ExpressionSyntax Condition, TextSpan Span) : TestStatementSyntax(Span);

public sealed record TestDeclarationSyntax(LabelSyntax Name, ImmutableArray<TestStatementSyntax> Statements, TextSpan Span) : DeclarationSyntax(Span);
