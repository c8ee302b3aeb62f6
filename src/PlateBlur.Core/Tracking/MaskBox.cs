using PlateBlur.Core.Detection;

namespace PlateBlur.Core.Tracking;

/// <summary>Why a frame is masked at a place.</summary>
public enum MaskKind { Detected, Interpolated, Extended, FailSecure, Manual }

/// <summary>A region to cover in one frame, with the track it belongs to.</summary>
/// <param name="Score">The detector's score where the mask is a detection (0 otherwise): the report keeps it for review.</param>
public readonly record struct MaskBox(BoxF Box, int TrackId, MaskKind Kind, PointF[]? Corners = null, float Score = 0);
